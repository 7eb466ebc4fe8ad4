// board.js: moved out of templates/election/board.html so the Content-Security-Policy allows no inline script.
(function () {
  const commune = document.getElementById('commune');
  const esc = s => String(s === null || s === undefined ? '' : s).replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
  const decimal = document.documentElement.lang === 'en' ? '.' : ',';  // Vietnamese decimal comma (issue 17)
  const thousands = document.documentElement.lang === 'en' ? ',' : '.';
  const num = v => v === null || v === undefined ? '–' : String(v).replace(/\B(?=(\d{3})+(?!\d))/g, thousands);
  const pct = v => v === null || v === undefined ? '–' : (v * 100).toFixed(1).replace('.', decimal) + '%';
  const L = JSON.parse(document.getElementById('page-labels').textContent);
  const url = L.url;
  const cell = (key, html, cls) => '<td' + (cls ? ' class="' + cls + '"' : '') + ' data-label="' + esc(L.col[key]) + '">' + html + '</td>';
  function bar(label, value, max, text, mark) {
    const width = max ? Math.round(100 * value / max) : 0;
    return '<div class="bar-row"><span>' + esc(label) + '</span><div class="bar"><span style="width:' + width + '%"></span>' + (mark ? '<i></i>' : '') + '</div><span class="num">' + esc(text) + '</span></div>';
  }
  function render(data) {
    const s = data.summary || {};
    document.getElementById('stats').innerHTML = [[L.hamlets, num(s.hamlets || 0)], [L.turnout, pct(s.turnout)], [L.elected, num(s.elected || 0)], [L.overdue, num(s.overdue || 0)]]
      .map(([k, v]) => '<div class="card"><div class="muted">' + esc(k) + '</div><div class="stat">' + esc(v) + '</div></div>').join('');
    const statuses = (s.by_status || []).filter(x => x.count);
    const most = Math.max(1, ...statuses.map(x => x.count));
    document.getElementById('status-chart').innerHTML = statuses.map(x => bar(x.label, x.count, most, num(x.count), false)).join('');
    document.getElementById('turnout-chart').innerHTML = (data.communes || []).map(c => bar(c.name, c.turnout || 0, 1, pct(c.turnout), true)).join('');
    document.getElementById('rows').innerHTML = data.rows.length ? data.rows.map(r => {
      const result = r.outcome ? esc(r.outcome_label) + (r.winner ? ': <strong>' + esc(r.winner) + '</strong> (' + num(r.winner_votes) + ', ' + pct(r.winner_share_of_total) + ')' : '') : '';
      const quorum = r.quorum_met === true ? ' <span class="badge ok">✓</span>' : (r.quorum_met === false && r.mode === 'meeting' ? ' <span class="badge bad">&lt; ' + num(r.quorum_needed) + '</span>' : '');
      return '<tr class="' + (r.overdue.length ? 'overdue' : '') + '">' + cell('commune', esc(r.commune) + (r.district ? '<div class="muted">' + esc(r.district) + '</div>' : '')) +
        cell('hamlet', '<a href="' + esc(r.url) + '">' + esc(r.hamlet) + '</a>' + (r.round_no > 1 ? ' (' + r.round_no + ')' : '')) +
        cell('status', '<span class="badge">' + esc(r.status_label) + '</span>' + (r.single_member ? ' <span class="badge warn" title="' + esc(r.single_member_reason || '') + '">' + esc(L.single_member) + '</span>' : '') + (r.mode !== 'meeting' && r.mode_label ? '<div class="muted">' + esc(r.mode_label) + '</div>' : '')) +
        cell('present', num(r.households_present) + ' / ' + num(r.total_households) + quorum +
          '<div class="muted" title="' + esc(r.total_source_text) + '">' + esc(r.total_source_label) + '</div>', 'num') +
        cell('share', pct(r.turnout), 'num') + cell('result', result) + cell('overdue', esc(r.overdue.join('; '))) + '</tr>';
    }).join('') : '<tr><td colspan="7">' + L.empty + '</td></tr>';
    document.getElementById('updated').textContent = L.updated + ' ' + new Date().toLocaleTimeString('vi-VN');
  }
  async function refresh() {
    try {
      const response = await fetch(url + (commune.value ? '?commune_id=' + encodeURIComponent(commune.value) : ''), {headers: {'Accept': 'application/json'}});
      if (response.ok) render(await response.json());
    } catch (err) { document.getElementById('updated').textContent = L.offline; }
  }
  // The page comes without its rows (a province has 1,800): they are fetched at once, then every refresh_seconds.
  const initial = JSON.parse(document.getElementById('board-data').textContent);
  if (initial.rows) render(initial); else refresh();
  setInterval(refresh, (initial.refresh_seconds || 15) * 1000);
  commune.addEventListener('change', () => document.getElementById('filter').submit());
})();
