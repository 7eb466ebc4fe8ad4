// enter_count.js: moved out of templates/election/enter_count.html so the Content-Security-Policy allows no inline script.
(function () {
  const form = document.getElementById('count-form');
  const T = JSON.parse(document.getElementById('page-labels').textContent);
  const out = document.getElementById('check-result');
  const ackBox = document.getElementById('ack-box');
  const ids = JSON.parse(form.dataset.candidates);
  const names = {};
  ids.forEach(id => { const el = form.querySelector('[data-candidate="' + id + '"]'); names[id] = el.labels[0].textContent; });
  const num = name => { const el = form.elements[name]; if (!el || el.value === '') return null; const n = Number(el.value); return Number.isInteger(n) && n >= 0 ? n : null; };
  const decimal = document.documentElement.lang === 'en' ? '.' : ',';  // Vietnamese decimal comma (issue 17)
  const pct = v => v === null ? '–' : (v * 100).toFixed(2).replace('.', decimal) + '%';
  const esc = s => String(s).replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
  let timer = null;
  async function check() {
    const body = {mode: form.dataset.mode, total_households: Number(form.dataset.total), seats: 1,
      ballots_issued: num('ballots_issued'), ballots_returned: num('ballots_returned'),
      valid_ballots: num('valid_ballots'), invalid_ballots: num('invalid_ballots'),
      candidates: ids.map(id => ({id: String(id), votes: num('votes_' + id)})), against: num('against') || 0};
    if (form.dataset.present !== '') body.households_present = Number(form.dataset.present);
    if ([body.ballots_issued, body.ballots_returned, body.valid_ballots, body.invalid_ballots].includes(null) ||
        body.candidates.some(c => c.votes === null)) { out.textContent = T.incomplete; return; }
    if (!navigator.onLine) { out.textContent = T.offline; return; }
    try {
      const response = await fetch(T.url, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
      const data = await response.json();
      if (response.status === 422) { out.innerHTML = Object.values(data.errors).map(m => '<div class="error">' + esc(m) + '</div>').join(''); return; }
      let html = '';
      data.errors.forEach(e => { html += '<div class="flash danger"><strong>' + e.rule + '</strong> ' + esc(e.message) + '</div>'; });
      data.warnings.forEach(w => { html += '<div class="flash warning"><strong>' + w.rule + '</strong> ' + esc(w.message) + '</div>'; });
      if (!data.errors.length && !data.warnings.length) html += '<div class="flash success">' + T.match + '</div>';
      const labels = T.outcomes;
      html += '<p><strong>' + labels[data.outcome] + '</strong>' + (data.winner ? ': ' + esc(names[data.winner] || data.winner) : '') + '</p>';
      html += '<div class="table-wrap"><table><thead><tr><th></th><th class="num">% ' + T.of_total + '</th><th class="num">% ' + T.of_present + '</th><th class="num">% ' + T.of_valid + '</th></tr></thead><tbody>';
      Object.entries(data.shares).forEach(([id, s]) => { html += '<tr><td>' + esc(names[id] || id) + '</td><td class="num">' + pct(s.of_total_households) + '</td><td class="num">' + pct(s.of_present) + '</td><td class="num">' + pct(s.of_valid_ballots) + '</td></tr>'; });
      out.innerHTML = html + '</tbody></table></div>';
      ackBox.hidden = data.warnings.length === 0;
    } catch (err) { out.textContent = T.offline; }
  }
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(check, 250); });
  check();
})();
