// scan_batch.js: reads a scanner batch page by page (templates/ballots/scan_batch.html): one small request per page,
// so the progress bar moves and a lost connection resumes where the batch stopped (the cursor is on the server).
(function () {
  const box = document.getElementById('batch');
  if (!box) return;
  const T = JSON.parse(document.getElementById('page-labels').textContent);
  const resume = document.getElementById('resume');
  const message = document.getElementById('batch-message');
  let running = false;
  const set = (id, value) => { document.getElementById(id).textContent = value; };
  async function run() {
    if (running) return;
    running = true; resume.hidden = true;
    message.className = 'muted'; message.textContent = T.reading;
    let conflicts = 0;
    try {
      for (;;) {
        let response;
        try {
          response = await fetch(box.dataset.nextUrl, {method: 'POST', headers: {'X-CSRFToken': box.dataset.csrf}});
        } catch (err) {
          message.className = 'flash warning'; message.textContent = T.offline; resume.hidden = false; return;
        }
        if (response.status === 409 && conflicts < 5) {
          // Another device read the same page at the same moment (the batch open twice): the server kept one of the
          // two; a moment later the cursor has moved past it.
          conflicts += 1;
          await new Promise(resolve => setTimeout(resolve, 500 * conflicts));
          continue;
        }
        conflicts = 0;
        const data = await response.json().catch(() => ({}));
        if (!response.ok || typeof data.page !== 'number') {
          message.className = 'flash danger';
          // A page that is not the answer, though the server said OK: the login page (the session ended) or another
          // the request was sent to. Asking again would get the same: stop, say how to go on.
          message.textContent = data.errors ? Object.values(data.errors).join(' ') :
            response.ok ? T.session : T.server.replace('CODE', response.status);
          resume.hidden = false; return;
        }
        document.getElementById('progress').value = data.page;
        set('page', data.page); set('counted', data.counted); set('waiting', data.waiting); set('refused', data.refused);
        if (data.done) { window.location.assign(data.summary_url); return; }
      }
    } finally { running = false; }
  }
  resume.addEventListener('click', run);
  if (box.dataset.done !== '1') run();
})();
