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
    ballot.scrollIntoView({block: 'nearest'});  // the choices in view, under the camera or above a typed code
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

  // The commune's scanner batch: a file of another kind, or too large to be taken, is refused here, before a long
  // upload that the server would refuse anyway (it checks again).
  const batchForm = document.getElementById('batch-form');
  if (batchForm) {
    const batchFile = document.getElementById('batch-file');
    const batchError = document.getElementById('batch-error');
    const fail = text => { batchError.textContent = text; batchError.hidden = false; batchFile.setAttribute('aria-invalid', 'true'); };
    batchFile.addEventListener('change', () => { batchError.hidden = true; batchFile.removeAttribute('aria-invalid'); });
    batchForm.addEventListener('submit', e => {
      const file = batchFile.files && batchFile.files[0];
      if (!file) return;
      const kind = /\.(pdf|tiff?|jpe?g|png)$/i.test(file.name) ||
        ['application/pdf', 'image/tiff', 'image/jpeg', 'image/png'].includes(file.type);
      if (!kind) { e.preventDefault(); fail(T.batch_kind); }
      else if (file.size > Number(batchForm.dataset.maxBytes)) { e.preventDefault(); fail(T.batch_too_large); }
    });
  }
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
  // Reading the marks (issue 19): the photo of a whole ballot sent to the server, which reads the names struck
  // through and counts the ballot, or queues it for two members when it is not sure.
  const readMode = document.getElementById('read-mode');
  const readPhotoButton = document.getElementById('read-photo-button');
  const readPhoto = document.getElementById('read-photo');
  const readHint = document.getElementById('read-hint');
  const waitingBox = document.getElementById('waiting-reads');
  let reading = false;  // the camera frames are read for marks, not for a QR to tap
  async function sendRead(blob, name) {
    clear(); ballot.hidden = true; current = null;
    show('info', T.reading_marks);
    checking = true;
    const form = new FormData();
    form.append('image', blob, name);
    try {
      const response = await fetch(box.dataset.readUrl, {method: 'POST', headers: {'X-CSRFToken': box.dataset.csrf}, body: form});
      const data = await jsonOf(response);
      if (!response.ok) { show('danger', reasonOf(data, response)); return false; }
      if (data.status === 'counted') {
        show(data.valid ? 'success' : 'warning', data.message + ' (' + grouped(data.serial) + ')' + (data.replayed ? ' ' + T.replayed : ''));
        remember(data);
      } else if (data.status === 'waiting') {
        show('warning', T.waiting.replace('SERIAL', grouped(data.serial)));
      } else {
        show('danger', data.message);
      }
      if (data.totals) { document.getElementById('valid').textContent = data.totals.valid; document.getElementById('invalid').textContent = data.totals.invalid; }
      if (typeof data.waiting === 'number') {
        document.getElementById('waiting-count').textContent = data.waiting;
        waitingBox.hidden = data.waiting === 0;
      }
      return true;
    } catch (err) {
      show('warning', T.offline);
      return false;
    } finally { checking = false; }
  }
  readPhoto.addEventListener('change', async () => {
    const file = readPhoto.files && readPhoto.files[0];
    if (!file || checking) return;
    await sendRead(file, file.name || 'phieu.jpg');
    readPhoto.value = '';
  });

  const cameraButton = document.getElementById('camera');
  const noCamera = () => { cameraButton.hidden = true; readMode.hidden = true; photoButton.hidden = false; readPhotoButton.hidden = false; };
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices) { noCamera(); return; }
  readMode.hidden = false;
  let started = false;
  let track = null;
  // Reading marks needs the camera's pixels (name lines a few millimetres high); a QR to tap does not.
  const READ_SIZE = {width: {ideal: 3840}, height: {ideal: 2160}};
  const TAP_SIZE = {width: {ideal: 1920}, height: {ideal: 1080}};
  const MAX_SIDE = 4000;  // the frame sent, on its long side (the server refuses more than 40 Mpx)
  // The QR must stay in place for STEADY_FRAMES detections in a row (about 0.6 s): the ballot is held still, so the
  // frame is not blurred by a moving hand. In place: its centre within 1 % of the frame's long side of where it was
  // at the first of those detections, its size within 6 % (a slow drift does not pass either).
  const STEADY_FRAMES = 3;
  let steady = {text: '', box: null, frames: 0};
  let lastRead = {text: '', away: 0};  // a ballot read: not captured again until it has left the frame
  let retryAt = 0;  // a capture the server could not read: wait a moment before the next
  const still = (a, b, side) => {
    const dx = (a.x + a.width / 2) - (b.x + b.width / 2), dy = (a.y + a.height / 2) - (b.y + b.height / 2);
    return Math.hypot(dx, dy) < 0.01 * side && Math.abs(a.width - b.width) < 0.06 * Math.max(a.width, b.width);
  };
  async function capture(video) {  // the current frame at the camera's resolution (bounded) as a JPEG
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(video.videoWidth * scale); canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise(resolve => canvas.toBlob(resolve, 'image/jpeg', 0.92));
  }
  async function readFrame(video, codes) {
    const code = codes.length ? codes[0] : null;
    const seen = code ? code.rawValue : '';
    if (lastRead.text && seen !== lastRead.text) {
      lastRead.away += 1;
      if (lastRead.away >= 5) lastRead = {text: '', away: 0};  // taken away: a second without it (a QR may flicker)
    } else if (seen) lastRead.away = 0;
    const side = Math.max(video.videoWidth, video.videoHeight) || 1;
    const box = code && code.boundingBox;
    if (seen && box && seen === steady.text && steady.box && still(box, steady.box, side)) steady.frames += 1;
    else steady = {text: seen, box: box || null, frames: seen && box ? 1 : 0};  // the box of the first detection
    if (!seen || steady.frames < STEADY_FRAMES || seen === lastRead.text || Date.now() < retryAt) return;
    steady = {text: '', box: null, frames: 0};
    const blob = await capture(video);
    if (!blob) return;
    const ok = await sendRead(blob, 'phieu.jpg');
    if (ok) lastRead = {text: seen, away: 0};
    else retryAt = Date.now() + 2000;
  }
  async function startCamera() {
    if (started) {
      if (track && track.applyConstraints) track.applyConstraints(reading ? READ_SIZE : TAP_SIZE).catch(() => {});
      return;
    }
    const video = document.getElementById('video');
    try {
      const stream = await navigator.mediaDevices.getUserMedia({video: Object.assign({facingMode: 'environment'}, reading ? READ_SIZE : TAP_SIZE)});
      track = stream.getVideoTracks()[0] || null;
      video.srcObject = stream; video.hidden = false; await video.play();
      video.scrollIntoView({block: 'start'});  // the picture, and what became of the last ballot under it, in view
      started = true;
      const detector = new BarcodeDetector({formats: ['qr_code']});
      const loop = async () => {
        if (!current && !checking) {
          try {
            const codes = await detector.detect(video);
            if (reading) await readFrame(video, codes);
            else {
              const seen = codes.length ? codes[0].rawValue : '';
              if (seen && !(seen === refused.text && Date.now() - refused.at < 5000)) take(seen);
            }
          } catch (e) { /* next frame */ }
        }
        setTimeout(loop, reading ? 200 : 300);
      };
      loop();
      cameraButton.hidden = true;
    } catch (err) { noCamera(); show('warning', T.camera); }
  }
  cameraButton.addEventListener('click', () => { reading = false; startCamera(); });
  readMode.addEventListener('click', () => {
    reading = !reading;
    readMode.setAttribute('aria-pressed', String(reading));
    readMode.classList.toggle('secondary', !reading);
    readHint.hidden = !reading;
    if (reading) startCamera();
  });
})();
