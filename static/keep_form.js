// keep_form.js: a <form data-keep> of election day keeps what was typed on this phone (localStorage, keyed by the
// user and the form's URL) until the server confirms it, and is sent with fetch: offline, or when the request fails,
// it says so and sends again by itself when the connection returns (or on "Gửi lại"). The form's hidden
// idempotency_key is kept with the values, so a retry after a lost response is recognised by the server
// (core/idempotency.py) and never makes a second change. A chosen file (the signed minutes) cannot be kept in
// localStorage: it is sent again while the page stays open; after a reload the photo must be chosen again.
(function () {
  'use strict';
  var labels = document.getElementById('keep-labels');
  if (!labels || !window.fetch || !window.FormData) return;
  var L = labels.dataset;
  var MAX_AGE = 3 * 24 * 3600 * 1000; // values older than three days are not restored
  var SKIPPED = {csrf_token: true};

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function keep(form) {
    var store = storage();
    var url = new URL(form.getAttribute('action') || location.href, location.href);
    url.hash = '';
    var id = 'dantin-keep:' + L.user + ':' + url.href;
    var state = {values: {}, pending: false, file: false, at: 0};
    var busy = false, csrfRefreshed = false, box = null;

    function fields() {
      return Array.prototype.filter.call(form.elements, function (el) {
        return el.name && !SKIPPED[el.name] && ['submit', 'button', 'reset', 'password', 'image'].indexOf(el.type) < 0;
      });
    }
    function read() {
      var values = {}, file = false;
      fields().forEach(function (el) {
        if (el.type === 'file') { file = file || (el.files && el.files.length > 0); return; }
        if (el.type === 'checkbox') { values[el.name] = el.checked; return; }
        if (el.type === 'radio') { if (el.checked) values[el.name] = el.value; return; }
        if (el.type === 'select-multiple') {
          values[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; })
            .map(function (o) { return o.value; });
          return;
        }
        values[el.name] = el.value;
      });
      return {values: values, file: file};
    }
    function save() {
      if (!store) return;
      var now = read();
      state.values = now.values;
      state.file = state.file || now.file;
      state.at = Date.now();
      try { store.setItem(id, JSON.stringify(state)); } catch (e) { /* full or refused: the page still works */ }
    }
    function clear() {
      if (store) { try { store.removeItem(id); } catch (e) { /* nothing kept */ } }
    }
    function write(values) {
      var changed = [];
      fields().forEach(function (el) {
        if (!(el.name in values) || el.type === 'file') return;
        var value = values[el.name], before;
        if (el.type === 'checkbox') { before = el.checked; el.checked = !!value; if (before !== el.checked) changed.push(el); return; }
        if (el.type === 'radio') { before = el.checked; el.checked = el.value === value; if (before !== el.checked) changed.push(el); return; }
        if (el.type === 'select-multiple') {
          Array.prototype.forEach.call(el.options, function (o) {
            var on = value.indexOf(o.value) >= 0;
            if (o.selected !== on) { o.selected = on; if (changed.indexOf(el) < 0) changed.push(el); }
          });
          return;
        }
        if (el.value !== value) { el.value = value; changed.push(el); }
      });
      changed.forEach(function (el) {
        el.dispatchEvent(new Event('input', {bubbles: true}));
        el.dispatchEvent(new Event('change', {bubbles: true}));
      });
      return changed.filter(function (el) { return el.type !== 'hidden'; }).length;
    }
    function fileInput() {
      return Array.prototype.filter.call(form.elements, function (el) { return el.type === 'file'; })[0];
    }

    // The notice above the form: what happened to the typed figures, with "Gửi lại" and "Bỏ số liệu đã lưu".
    function notice(kind, text, retry, discard) {
      if (!box) {
        box = document.createElement('div');
        box.className = 'keep-notice';
        box.setAttribute('role', 'status');
        box.setAttribute('aria-live', 'polite');
        form.parentNode.insertBefore(box, form);
      }
      box.className = 'keep-notice flash ' + kind;
      box.textContent = '';
      var p = document.createElement('span');
      p.textContent = text;
      box.appendChild(p);
      if (retry) box.appendChild(button(L.retry, 'keep-retry', send));
      if (discard) {
        box.appendChild(button(L.discard, 'keep-discard', function () {
          clear();
          location.reload();
        }));
      }
      box.hidden = false;
    }
    function button(text, cls, action) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn secondary ' + cls;
      b.textContent = text;
      b.addEventListener('click', action);
      return b;
    }
    function offline() {
      notice('warning', L.offline, true, false);
    }
    function submitting(on) {
      Array.prototype.forEach.call(form.querySelectorAll('[type=submit]'), function (b) { b.disabled = on; });
    }

    function refreshToken() {
      // The CSRF token of a form rendered hours ago may have expired: take a fresh one from the page, once.
      return fetch(location.href, {credentials: 'same-origin'}).then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, 'text/html');
          var fresh = doc.querySelector('input[name=csrf_token]');
          var mine = form.querySelector('input[name=csrf_token]');
          if (fresh && mine) mine.value = fresh.value;
        });
    }
    function show(response) {
      // A page rather than a redirect (the form with its errors, or an error page): shown as if it had been posted.
      return response.text().then(function (html) {
        if (response.url && response.url !== location.href) history.replaceState(null, '', response.url);
        document.open();
        document.write(html);
        document.close();
      });
    }
    function send() {
      if (busy) return;
      if (!navigator.onLine) { offline(); return; }
      busy = true;
      submitting(true);
      notice('info', L.sending, false, false);
      var data = new FormData(form);
      fetch(form.action, {method: 'POST', body: data, credentials: 'same-origin',
                          headers: {'X-Kept-Form': '1', 'Accept': 'text/html'}})
        .then(function (response) {
          var type = response.headers.get('Content-Type') || '';
          if (response.ok && type.indexOf('application/json') === 0) {
            return response.json().then(function (answer) {
              if (answer.saved) { clear(); } else { state.pending = false; save(); }
              location.assign(answer.redirect);
            });
          }
          if (response.status >= 500) throw new Error('server ' + response.status);
          if (response.status === 400 && !csrfRefreshed) {
            csrfRefreshed = true;
            busy = false;
            return refreshToken().then(send);
          }
          state.pending = false;
          if (response.status === 409) delete state.values.version; // changed meanwhile: the next load's version
          if (store) { try { store.setItem(id, JSON.stringify(state)); } catch (e) { /* see save */ } }
          if (response.ok && response.headers.get('X-Kept-Saved') === '1') clear();
          return show(response);
        })
        .catch(function () {
          busy = false;
          submitting(false);
          offline();
        });
    }

    var saved = null;
    if (store) {
      try { saved = JSON.parse(store.getItem(id) || 'null'); } catch (e) { saved = null; }
    }
    if (saved && (!saved.at || Date.now() - saved.at > MAX_AGE)) { clear(); saved = null; }
    if (saved) {
      state.pending = !!saved.pending;
      var restored = write(saved.values || {});
      var input = fileInput();
      var needsFile = saved.file && input && !(input.files && input.files.length);
      state.file = false;
      if (needsFile) {
        state.pending = false;
        notice('warning', L.photo, false, true);
      } else if (state.pending) {
        notice('warning', restored ? L.restored + ' ' + L.offline : L.offline, true, true);
      } else if (restored) {
        notice('info', L.restored, false, true);
      }
      save();
      if (state.pending && navigator.onLine) send();
    }

    form.addEventListener('input', save);
    form.addEventListener('change', save);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      state.pending = true;
      save();
      send();
    });
    window.addEventListener('online', function () { if (state.pending) send(); });
    window.addEventListener('offline', function () { if (state.pending && !busy) offline(); });
  }

  Array.prototype.forEach.call(document.querySelectorAll('form[data-keep]'), keep);
})();
