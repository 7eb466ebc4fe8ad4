// checkin.js: moved out of templates/election/checkin.html so the Content-Security-Policy allows no inline script.
// Offline (or when a search fails) the page says so, greys out the results it still shows and disables their
// buttons (they may be stale), and searches again when the connection returns. The server returns the total number of
// matches with the first `limit` of them: the page says how many more there are.
(function () {
  var L = document.getElementById('labels').dataset;
  var csrf = L.csrf;
  var q = document.getElementById('q'), results = document.getElementById('results');
  var status = document.getElementById('ci-status'), more = document.getElementById('ci-more');
  var box = document.getElementById('turnout');
  var asked = 0; // the number of the latest search: an older answer arriving late is dropped
  function url(template, id) { return template.replace('/0?', '/' + id + '?').replace(/\/0(\/undo)/, '/' + id + '$1'); }
  function showTurnout(t) {
    document.getElementById('present').textContent = t.present;
    document.getElementById('total').textContent = t.total;
    // The page's number format: decimal comma in Vietnamese (as the server renders it, core.vietnamese).
    document.getElementById('percent').textContent = String(t.percent).replace('.', document.documentElement.lang === 'en' ? '.' : ',');
    var el = document.getElementById('quorum');
    el.className = 'badge ' + (t.quorum_met ? 'ok' : 'warn');
    el.textContent = t.quorum_met ? L.quorum : L.need.replace('__N__', t.needed_for_quorum);
  }
  function stale(message) {
    status.textContent = message;
    status.hidden = false;
    results.classList.add('stale');
    Array.prototype.forEach.call(results.querySelectorAll('button'), function (b) { b.disabled = true; });
  }
  function fresh() {
    status.hidden = true;
    results.classList.remove('stale');
  }
  function render(data) {
    var items = data.items || [];
    results.innerHTML = '';
    fresh();
    items.forEach(function (e) {
      var row = document.createElement('div'); row.className = 'ci-item';
      var who = document.createElement('div'); who.className = 'who';
      who.textContent = e.household_no + ' · ' + e.full_name + ' (' + (e.birth_year || '') + ') · …' + e.citizen_id_tail;
      var button = document.createElement('button');
      button.type = 'button';
      button.className = e.checked_in ? 'btn secondary' : 'btn';
      button.textContent = e.checked_in ? L.undo : L.mark;
      button.addEventListener('click', function () { toggle(e, button); });
      if (e.checked_in) { var b = document.createElement('span'); b.className = 'badge ok'; b.textContent = L.done; who.appendChild(document.createTextNode(' ')); who.appendChild(b); }
      row.appendChild(who); row.appendChild(button); results.appendChild(row);
    });
    var total = typeof data.total === 'number' ? data.total : items.length;
    if (total > items.length) {
      more.textContent = L.more.replace('__N__', items.length).replace('__T__', total);
      more.hidden = false;
    } else if (!items.length) {
      more.textContent = L.none;
      more.hidden = false;
    } else {
      more.hidden = true;
    }
  }
  function toggle(e, button) {
    if (!navigator.onLine) { stale(L.offlineMark); return; }
    button.disabled = true;
    fetch(url(e.checked_in ? L.undoUrl : L.markUrl, e.id), {method: 'POST', headers: {'X-CSRFToken': csrf}, credentials: 'same-origin'})
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (data) { showTurnout(data.turnout); search(); })
      .catch(function (r) {  // a refusal (422: the round is not voting) says why; anything else: the connection
        var said = r && r.status === 422 ? r.json().then(function (d) { return Object.values(d.errors || {}).join(' '); }) : null;
        Promise.resolve(said).then(function (m) { alert(m || L.error); }, function () { alert(L.error); });
        button.disabled = false;
      });
  }
  var timer = null;
  function search() {
    var term = q.value.trim();
    var mine = ++asked;
    if (!term) { results.innerHTML = ''; more.hidden = true; fresh(); return; }
    if (!navigator.onLine) { stale(L.offline); return; }
    fetch(q.dataset.url + '&q=' + encodeURIComponent(term), {credentials: 'same-origin'})
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (data) { if (mine === asked) render(data); })
      .catch(function () { if (mine === asked) stale(L.offline); });
  }
  q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(search, 250); });
  window.addEventListener('offline', function () { stale(L.offline); });
  window.addEventListener('online', function () { fresh(); search(); });
  setInterval(function () {
    if (!navigator.onLine) return;
    fetch(box.dataset.url, {credentials: 'same-origin'}).then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(showTurnout).catch(function () { /* shown again at the next tick */ });
  }, 10000);
  if (!navigator.onLine) stale(L.offline);
  q.dataset.ready = '1';  // the listeners are attached: typing now searches (the browser tests wait for it)
  q.focus();
})();
