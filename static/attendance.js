// attendance.js: moved out of templates/training/attendance.html so the Content-Security-Policy allows no inline script.
(function () {
  var T = JSON.parse(document.getElementById('page-labels').textContent);
  var PRESENT = T.present, ABSENT = T.absent, FAILED = T.failed;
  function fold(s) { return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase(); }
  var search = document.getElementById('tap-search');
  search.addEventListener('input', function () {
    var q = fold(search.value.trim());
    document.querySelectorAll('#tap-list li[data-name]').forEach(function (li) {
      li.hidden = q !== '' && li.dataset.name.indexOf(q) === -1;
    });
  });
  document.querySelectorAll('#tap-list form').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var button = form.querySelector('button'), field = form.querySelector('input[name=present]');
      button.disabled = true;
      fetch(form.action, {method: 'POST', body: new FormData(form), headers: {'Accept': 'application/json'}, credentials: 'same-origin'})
        .then(function (r) { if (!r.ok) { throw new Error(); } return r.json(); })
        .then(function (data) {
          button.classList.toggle('on', data.present);
          button.setAttribute('aria-pressed', data.present ? 'true' : 'false');
          button.querySelector('.state').textContent = data.present ? PRESENT : ABSENT;
          field.value = data.present ? '0' : '1';
          document.getElementById('present-count').textContent = data.present_count;
        })
        .catch(function () { alert(FAILED); })
        .finally(function () { button.disabled = false; });
    });
  });
})();
