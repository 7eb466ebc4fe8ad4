// checkin.js: moved out of templates/election/checkin.html so the Content-Security-Policy allows no inline script.
(function () {
  var L = document.getElementById('labels').dataset;
  var csrf = L.csrf;
  var q = document.getElementById('q'), results = document.getElementById('results');
  var box = document.getElementById('turnout');
  function url(template, id) { return template.replace('/0?', '/' + id + '?').replace(/\/0(\/undo)/, '/' + id + '$1'); }
  function showTurnout(t) {
    document.getElementById('present').textContent = t.present;
    document.getElementById('total').textContent = t.total;
    document.getElementById('percent').textContent = t.percent;
    var el = document.getElementById('quorum');
    el.className = 'badge ' + (t.quorum_met ? 'ok' : 'warn');
    el.textContent = t.quorum_met ? L.quorum : L.need.replace('__N__', t.needed_for_quorum);
  }
  function render(items) {
    results.innerHTML = '';
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
  }
  function toggle(e, button) {
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
    if (!term) { results.innerHTML = ''; return; }
    fetch(q.dataset.url + '&q=' + encodeURIComponent(term), {credentials: 'same-origin'})
      .then(function (r) { return r.json(); }).then(function (data) { render(data.items); });
  }
  q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(search, 250); });
  setInterval(function () {
    fetch(box.dataset.url, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(showTurnout);
  }, 10000);
  q.focus();
})();
