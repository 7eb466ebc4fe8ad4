// Behaviour every page shares, here rather than in inline handlers (the Content-Security-Policy allows no inline
// script): a form or button with data-confirm asks before submitting; a link with data-back goes back in history.
(function () {
  document.addEventListener('submit', function (event) {
    var button = event.submitter, form = event.target;
    var question = (button && button.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a[data-back]');
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
