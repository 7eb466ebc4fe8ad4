// scan_ballots.js: the per-ballot scan page (templates/ballots/scan_ballots.html), out of the template so the
// Content-Security-Policy allows no inline script. A ballot is read by the camera (BarcodeDetector), a USB scanner
// or its typed short code, or from a photo decoded on the server where the browser has no BarcodeDetector.
(function () {
  const box = document.getElementById('scanner');
  if (!box) return;
  const T = JSON.parse(document.getElementById('page-labels').textContent);
  const codeInput = document.getElementById('code');
  const ballot = document.getElementById('ballot');
  const message = document.getElementById('message');
  let current = null;  // {text, code, key}: the key is kept for retries of the same ballot, so it is never counted twice
  const newKey = () => (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  const show = (cls, text) => { message.className = 'flash ' + cls; message.textContent = text; };
  const clear = () => { message.textContent = ''; message.className = ''; };
  // The server's reason ({error} or {errors}); a page that is not JSON (session ended, server error) says so.
  const reasonOf = (data, response) => data.error || (data.errors ? Object.values(data.errors).join(' ') :
    T.server.replace('CODE', response.status));
  const jsonOf = response => response.json().catch(() => ({}));

  // The short code printed under the QR: the serial (10 Crockford base32 characters) and a check character,
  // Damm's algorithm over GF(32) as in ballots/qr.py (typed_serial): a typo is caught here, before any request.
  const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const dammStep = (interim, value) => { const p = (interim ^ value) << 1; return p & 32 ? p ^ 37 : p; };
  function typedSerial(text) {
    const code = text.replace(/[\s\-_.·]+/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
    if (code.length !== 10 && code.length !== 11) return {error: T.code_length};
    let interim = 0;
    for (const ch of code) {
      const value = ALPHABET.indexOf(ch);
      if (value < 0) return {error: T.code_alphabet};
      interim = dammStep(interim, value);
    }
    if (code.length === 11 && interim !== 0) return {error: T.code_check};
    return {serial: code.slice(0, 10)};
  }
  const grouped = serial => serial.replace(/(.{4})(?=.)/g, '$1 ');

  let checking = false;  // a code being checked: the camera reads nothing else meanwhile
  let refused = {text: '', at: 0};  // the camera keeps seeing a refused ballot: not asked again for 5 s
  function offer(ballotOf) {
    current = Object.assign({key: newKey()}, ballotOf);
    document.getElementById('ballot-code').textContent = ballotOf.label;
    ballot.hidden = false;
  }
  // Refused on the spot (forged, another hamlet's, already counted, a mistyped code…) before any name is tapped;
  // when the check cannot be reached, the choices show anyway: the scan itself is checked again.
  async function check(body, fallback) {
    clear(); ballot.hidden = true; current = null;
    checking = true;
    try {
      const response = await fetch(box.dataset.checkUrl, {method: 'POST', headers: {'Content-Type': 'application/json',
        'X-CSRFToken': box.dataset.csrf}, body: JSON.stringify(body)});
      const data = await jsonOf(response);
      if (!response.ok) {
        show('danger', reasonOf(data, response));
        refused = {text: body.text || '', at: Date.now()};
        codeInput.focus();
        return;
      }
      offer({text: data.text, code: '', label: grouped(data.serial)});
    } catch (err) {
      offer(fallback);  // offline: decided when the scan is sent
    } finally { checking = false; }
  }
  function take(text) {
    text = (text || '').trim();
    if (!text || checking) return;
    codeInput.value = '';
    if (/^DT[0-9]+\./i.test(text) || text.length > 20) {  // a QR's text (camera, USB scanner): the server says what it is
      check({text: text}, {text: text, code: '', label: text.split('.')[3] || text});
      return;
    }
    const typed = typedSerial(text);  // a typed short code (or the bare serial of a ballot printed before it)
    if (typed.error) {
      ballot.hidden = true; current = null;
      show('danger', typed.error);
      codeInput.value = text;
      codeInput.focus();
      return;
    }
    check({code: text}, {text: '', code: text, label: grouped(typed.serial)});
  }
  document.getElementById('code-form').addEventListener('submit', e => { e.preventDefault(); take(codeInput.value); });

  const recent = document.getElementById('recent');
  function remember(data) {  // the scan on top of the list of recent scans, with its undo form
    if (!recent || recent.querySelector('[data-scan-id="' + data.id + '"]')) return;
    const item = document.getElementById('recent-item').content.firstElementChild.cloneNode(true);
    item.dataset.scanId = data.id;
    item.querySelector('[data-field="serial"]').textContent = grouped(data.serial);
    item.querySelector('[data-field="recorded"]').textContent = data.recorded;
    item.querySelector('form').action = box.dataset.undoUrl.replace('/scans/0/', '/scans/' + data.id + '/');
    recent.prepend(item);
    while (recent.children.length > Number(box.dataset.undoWindow)) recent.lastElementChild.remove();
  }
  async function send(choice, reason) {
    if (!current) return;
    try {
      const response = await fetch(box.dataset.url, {method: 'POST', headers: {'Content-Type': 'application/json',
        'X-CSRFToken': box.dataset.csrf, 'Idempotency-Key': current.key},
        body: JSON.stringify({text: current.text, code: current.code, choice: choice, reason: reason})});
      const data = await jsonOf(response);
      if (response.ok) {
        show(data.valid ? 'success' : 'warning', data.message + ' (' + grouped(data.serial) + ')' + (data.replayed ? ' ' + T.replayed : ''));
        if (data.totals) { document.getElementById('valid').textContent = data.totals.valid; document.getElementById('invalid').textContent = data.totals.invalid; }
        remember(data);
        current = null; ballot.hidden = true;
      } else if (response.status === 409 || (data.errors && (data.errors.idempotency_key || data.errors.code))) {
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

  // The photo: where the browser has no BarcodeDetector (iPhone Safari, desktop Chrome) or the camera fails.
  const photoButton = document.getElementById('photo-button');
  const photo = document.getElementById('photo');
  photo.addEventListener('change', async () => {
    const file = photo.files && photo.files[0];
    if (!file || checking) return;
    clear(); ballot.hidden = true; current = null;
    show('info', T.reading);
    checking = true;
    const form = new FormData();
    form.append('image', file);
    try {
      const response = await fetch(box.dataset.photoUrl, {method: 'POST', headers: {'X-CSRFToken': box.dataset.csrf}, body: form});
      const data = await jsonOf(response);
      if (response.ok) { clear(); offer({text: data.text, code: '', label: grouped(data.serial)}); }
      else show('danger', reasonOf(data, response));
    } catch (err) {
      show('warning', T.offline);
    } finally { checking = false; photo.value = ''; }
  });
  const cameraButton = document.getElementById('camera');
  const noCamera = () => { cameraButton.hidden = true; photoButton.hidden = false; };
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices) { noCamera(); return; }
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
    } catch (err) { noCamera(); show('warning', T.camera); }
  });
})();
