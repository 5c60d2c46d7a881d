/* Optional progress updates on a batch page while a roster is validated in the background.
   Without JavaScript the page has a "refresh" button; this only saves the clicks.
   It never reloads the page: when validation ends it says so and offers the link. */
(function () {
  "use strict";

  function start() {
    var section = document.getElementById("batch-progress");
    if (!section) {
      return;
    }
    var url = section.getAttribute("data-progress-url");
    var bar = document.getElementById("progress-bar");
    var text = document.getElementById("progress-text");
    var polls = 0;

    function poll() {
      polls += 1;
      if (polls > 900) {
        return; /* about half an hour: stop asking */
      }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) {
            return;
          }
          var rows = data.rows_total === null
            ? (section.getAttribute("data-counting-text") || "")
            : (section.getAttribute("data-running-text") || "{n}")
                .replace("{n}", data.rows_read).replace("{total}", data.rows_total);
          if (data.progress > 0) {
            bar.value = data.progress; /* a file without a known size stays indeterminate */
            bar.textContent = data.progress + "%";
          }
          if (data.status === "validating") {
            text.textContent = (data.progress > 0 ? data.progress + "% · " : "") + rows;
            window.setTimeout(poll, 2000);
          } else {
            text.textContent = section.getAttribute("data-done-text") || "";
            bar.value = 100;
          }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }

    window.setTimeout(poll, 2000);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
