// scan_ballots.js: moved out of templates/ballots/scan_ballots.html so the Content-Security-Policy allows no inline script.
(function () {
  const box = document.getElementById('scanner');
  if (!box) return;
  const T = JSON.parse(document.getElementById('page-labels').textContent);
  const codeInput = document.getElementById('code');
  const ballot = document.getElementById('ballot');
  const message = document.getElementById('message');
  let current = null;  // {text, key}: the key is kept for retries of the same ballot, so it is never counted twice
  const newKey = () => (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  const show = (cls, text) => { message.className = 'flash ' + cls; message.textContent = text; };
  // The server's reason ({error} or {errors}); a page that is not JSON (session ended, server error) says so.
  const reasonOf = (data, response) => data.error || (data.errors ? Object.values(data.errors).join(' ') :
    T.server.replace('CODE', response.status));
  const jsonOf = response => response.json().catch(() => ({}));
  let checking = false;  // a code being checked: the camera reads nothing else meanwhile
  let refused = {text: '', at: 0};  // the camera keeps seeing a refused ballot: not asked again for 5 s
  async function take(text) {
    text = (text || '').trim();
    if (!text || checking) return;
    codeInput.value = ''; message.textContent = ''; message.className = ''; ballot.hidden = true; current = null;
    checking = true;
    // Refused on the spot (forged, another hamlet's, already counted…) before any name is tapped; when the
    // check cannot be reached, the choices show anyway: the scan itself is checked again.
    try {
      const response = await fetch(box.dataset.checkUrl, {method: 'POST', headers: {'Content-Type': 'application/json',
        'X-CSRFToken': box.dataset.csrf}, body: JSON.stringify({text: text})});
      if (!response.ok) {
        show('danger', reasonOf(await jsonOf(response), response));
        refused = {text: text, at: Date.now()};
        codeInput.focus();
        return;
      }
    } catch (err) { /* offline: decided when the scan is sent */ }
    finally { checking = false; }
    current = {text: text, key: newKey()};
    document.getElementById('ballot-code').textContent = text.split('.')[3] || text;
    ballot.hidden = false;
  }
  document.getElementById('code-form').addEventListener('submit', e => { e.preventDefault(); take(codeInput.value); });
  async function send(choice, reason) {
    if (!current) return;
    try {
      const response = await fetch(box.dataset.url, {method: 'POST', headers: {'Content-Type': 'application/json',
        'X-CSRFToken': box.dataset.csrf, 'Idempotency-Key': current.key}, body: JSON.stringify({text: current.text, choice: choice, reason: reason})});
      const data = await jsonOf(response);
      if (response.ok) {
        show(data.valid ? 'success' : 'warning', (data.valid ? T.counted : T.invalid) + ' ' + data.serial + (data.replayed ? ' ' + T.replayed : ''));
        if (data.totals) { document.getElementById('valid').textContent = data.totals.valid; document.getElementById('invalid').textContent = data.totals.invalid; }
        current = null; ballot.hidden = true;
      } else if (response.status === 409) {
        show('danger', reasonOf(data, response)); current = null; ballot.hidden = true;
      } else {
        show('danger', reasonOf(data, response));
      }
    } catch (err) {
      show('warning', T.offline);
    }
    codeInput.focus();
  }
  ballot.querySelectorAll('[data-choice]').forEach(b => b.addEventListener('click', () => send(b.dataset.choice, '')));
  ballot.querySelector('[data-invalid]').addEventListener('click', () => send('', document.getElementById('reason').value));
  document.getElementById('cancel').addEventListener('click', () => { current = null; ballot.hidden = true; codeInput.focus(); });
  const cameraButton = document.getElementById('camera');
  if (!('BarcodeDetector' in window)) { cameraButton.hidden = true; return; }
  cameraButton.addEventListener('click', async () => {
    const video = document.getElementById('video');
    try {
      const stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}});
      video.srcObject = stream; video.hidden = false; await video.play();
      const detector = new BarcodeDetector({formats: ['qr_code']});
      const loop = async () => {
        if (!current && !checking) {
          try {
            const codes = await detector.detect(video);
            const seen = codes.length ? codes[0].rawValue : '';
            if (seen && !(seen === refused.text && Date.now() - refused.at < 5000)) take(seen);
          } catch (e) { /* next frame */ }
        }
        setTimeout(loop, 300);
      };
      loop();
      cameraButton.hidden = true;
    } catch (err) { show('warning', T.camera); }
  });
})();
