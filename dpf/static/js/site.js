/* Small improvements on top of pages that work without JavaScript.
   - A form returned with errors moves focus to its error summary, so the summary is read
     out first; a link of the summary moves focus into the field it names.
   - Otherwise a page that opens with a message (an action's outcome, e.g. 申请已提交)
     moves focus to it: a status already in the page when it loads is not announced by
     screen readers, focus makes it the first thing read. */
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector(".error-summary[tabindex]");
    var outcome = document.querySelector("main .messages[tabindex]");
    if (summary) {
      summary.focus();
    } else if (outcome && !document.querySelector("[autofocus]")) {
      outcome.focus();
    }
  }

  function linkSummaryToFields(event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    if (!link) {
      return;
    }
    var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (field) {
      event.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    }
  }

  document.addEventListener("DOMContentLoaded", focusErrorSummary);
  document.addEventListener("click", linkSummaryToFields);
})();
