// Live assessment on the "add a candidate" form: asks the public calculator POST /api/v1/rules/eligibility
// (api.md) for both posts and shows every finding. The rules live on the server only, and so do the labels: the
// page renders them in the reader's language (#assessment-labels); the findings' messages are the API's.
(function () {
  "use strict";
  var form = document.getElementById("candidacy-form");
  if (!form) return;
  var out = document.getElementById("live-assessment");
  var hint = document.getElementById("live-hint");
  var LABELS = JSON.parse(document.getElementById("assessment-labels").textContent);
  var POSTS = LABELS.posts;
  var BADGE = {eligible: "ok", needs_exception: "warn", ineligible: "bad"};
  var KIND = LABELS.kind;
  var timer = null;
  var generation = 0;

  function source() {
    var checked = form.querySelector("input[name=source]:checked");
    return checked ? checked.value : "registry";
  }

  function toggle() {
    var fromRegistry = source() === "registry";
    document.getElementById("pick-registry").hidden = !fromRegistry;
    document.getElementById("new-person").hidden = fromRegistry;
  }

  function value(name) {
    var el = form.elements[name];
    return el ? el.value : "";
  }

  function facts() {
    if (source() === "registry") {
      var picked = form.querySelector("input[name=person_id]:checked");
      if (!picked) return null;
      return {birth_date: picked.dataset.birthDate, education: picked.dataset.education,
              political_theory: picked.dataset.politicalTheory, party_member: picked.dataset.partyMember,
              fit_for_term: picked.dataset.fitForTerm === "true"};
    }
    if (!value("p-birth_date")) return null;
    var fit = form.elements["p-fit_for_term"];
    return {birth_date: value("p-birth_date"), education: value("p-education"),
            political_theory: value("p-political_theory"), party_member: value("p-party_member"),
            fit_for_term: fit ? fit.checked : true};
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(title, payload) {
    var box = el("div", "assessment");
    var head = el("div");
    head.appendChild(el("strong", "", title));
    head.appendChild(document.createTextNode(" · "));
    if (payload.errors) {
      var messages = Object.keys(payload.errors).map(function (k) { return payload.errors[k]; });
      head.appendChild(el("span", "badge bad", messages.join(" ")));
      box.appendChild(head);
      return box;
    }
    head.appendChild(el("span", "badge " + (BADGE[payload.status] || ""), LABELS.status[payload.status] || payload.status));
    box.appendChild(head);
    var list = el("ul", "findings");
    payload.findings.forEach(function (f) {
      var item = el("li", f.ok ? "ok" : "fail-" + f.kind);
      var mark = el("span", "", f.ok ? "✔ " : "✘ ");
      mark.setAttribute("aria-hidden", "true");
      item.appendChild(mark);
      item.appendChild(el("span", "badge " + (f.ok ? "ok" : (f.kind === "hard" ? "bad" : "warn")),
                          f.rule + " · " + (KIND[f.kind] || f.kind)));
      item.appendChild(document.createTextNode(" " + f.message));
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  function assess() {
    var current = facts();
    var mine = ++generation;
    if (!current) {
      out.textContent = "";
      hint.hidden = false;
      return;
    }
    var requests = POSTS.map(function (post) {
      var body = Object.assign({post: post[0], on: form.dataset.on, commune_class: form.dataset.communeClass,
                                resident: true}, current);
      return fetch(form.dataset.calculator, {method: "POST", headers: {"Content-Type": "application/json"},
                                             body: JSON.stringify(body)})
        .then(function (r) { return r.json(); });
    });
    Promise.all(requests).then(function (results) {
      if (mine !== generation) return;  // a newer input has been assessed meanwhile
      out.textContent = "";
      results.forEach(function (payload, i) { out.appendChild(render(POSTS[i][1], payload)); });
      hint.hidden = true;
    }).catch(function () {
      if (mine !== generation) return;
      out.textContent = "";
      hint.hidden = false;
      hint.textContent = LABELS.offline;
    });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(assess, 250);
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "source") toggle();
    later();
  });
  form.addEventListener("input", later);
  toggle();
  assess();
})();
