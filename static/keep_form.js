// keep_form.js: a <form data-keep> of election day keeps what was typed on this phone (localStorage, keyed by the
// user and the form's URL) until the server confirms it, and is sent with fetch: offline, or when the request fails,
// it says so and sends again by itself when the connection returns (or on "Gửi lại"). The form's hidden
// idempotency_key is kept with the values, so a retry after a lost response is recognised by the server
// (core/idempotency.py) and never makes a second change. A chosen file (the photo of the signed minutes) cannot be
// kept in localStorage: it is kept in IndexedDB beside it (a browser without it, or private browsing that refuses it,
// says after a reload that the photo must be chosen again). A phone often says it is online a moment before its
// connection carries anything: a send that fails while the entry is pending is tried again by itself, after 2 s, then
// 4, 8… up to 30 s, until the server answers (or the user discards it).
(function () {
  'use strict';
  var labels = document.getElementById('keep-labels');
  if (!labels || !window.fetch || !window.FormData) return;
  var L = labels.dataset;
  var MAX_AGE = 3 * 24 * 3600 * 1000; // values older than three days are not restored
  var SKIPPED = {csrf_token: true};

  // The chosen files, by form and field: IndexedDB keeps a File (a localStorage string could not).
  function files(mode, work) {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error('no IndexedDB')); return; }
      var opening = indexedDB.open('dantin-keep-files', 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore('files'); };
      opening.onerror = function () { reject(opening.error); };
      opening.onsuccess = function () {
        var db = opening.result, tx = db.transaction('files', mode), request = work(tx.objectStore('files'));
        tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      };
    });
  }

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
    var retryTimer = null, retryDelay = 0;

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
    function fileInputs() {
      return Array.prototype.filter.call(form.elements, function (el) { return el.type === 'file' && el.name; });
    }
    function keepFiles() {
      fileInputs().forEach(function (input) {
        var file = input.files && input.files[0];
        files('readwrite', function (os) { return file ? os.put(file, id + '|' + input.name) : os.delete(id + '|' + input.name); })
          .catch(function () { /* not kept: after a reload the page asks for the file again */ });
      });
    }
    function restoreFiles() {
      // Puts the kept files back into their inputs; resolves true when every input that needs one has it.
      return Promise.all(fileInputs().map(function (input) {
        return files('readonly', function (os) { return os.get(id + '|' + input.name); }).then(function (file) {
          if (!file) return false;
          var list = new DataTransfer();
          list.items.add(file);
          input.files = list.files;
          return input.files.length === 1;
        }).catch(function () { return false; });
      })).then(function (done) { return done.every(Boolean); });
    }
    function clear() {
      if (store) { try { store.removeItem(id); } catch (e) { /* nothing kept */ } }
      if (!fileInputs().length) return Promise.resolve();
      return Promise.all(fileInputs().map(function (input) {
        return files('readwrite', function (os) { return os.delete(id + '|' + input.name); }).catch(function () {});
      }));
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
          clear().then(function () { location.reload(); });
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
      if (state.pending && !retryTimer) {
        retryDelay = Math.min(retryDelay ? retryDelay * 2 : 2000, 30000);
        retryTimer = setTimeout(function () { retryTimer = null; if (state.pending) send(); }, retryDelay);
      }
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
      if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
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
              var done = answer.saved ? clear() : Promise.resolve();
              if (!answer.saved) { state.pending = false; save(); }
              return done.then(function () { location.assign(answer.redirect); });
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
      (saved.file ? restoreFiles() : Promise.resolve(true)).then(function (haveFiles) {
        state.file = false;
        if (!haveFiles) {
          state.pending = false;
          notice('warning', L.photo, false, true);
        } else if (state.pending) {
          notice('warning', (restored || saved.file) ? L.restored + ' ' + L.offline : L.offline, true, true);
        } else if (restored || saved.file) {
          notice('info', L.restored, false, true);
        }
        save();
        if (state.pending && navigator.onLine) send();
      });
    }

    form.addEventListener('input', save);
    form.addEventListener('change', function (event) {
      save();
      if (event.target.type === 'file') keepFiles();
    });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      state.pending = true;
      save();
      send();
    });
    window.addEventListener('online', function () { retryDelay = 0; if (state.pending) send(); });
    window.addEventListener('offline', function () { if (state.pending && !busy) offline(); });
  }

  Array.prototype.forEach.call(document.querySelectorAll('form[data-keep]'), keep);
})();
