/* Search as you type on the person search page (WAI-ARIA combobox with a listbox popup).
   Progressive enhancement: without this script the form posts and the page lists the
   matches as before. The box posts what is typed (never in a URL) to the look-up endpoint
   200 ms after the last key; a number is sent only once it is whole (an ID number of 15 or
   18 characters, a certificate number of 20), since only whole numbers can match.
   Up/Down move through the suggestions, Enter opens the one chosen, Escape closes the list;
   a live region says how many were found. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 200;
  var MIN_CHARS = 2;

  function start() {
    var form = document.querySelector("form[data-lookup-url]");
    if (!form || !window.fetch) {
      return;
    }
    var input = form.querySelector("input[name=q]");
    var region = form.querySelector("select[name=region]");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!input || !token) {
      return;
    }
    var url = form.getAttribute("data-lookup-url");
    var listId = input.id + "-suggestions";
    var field = input.parentNode;
    field.classList.add("lookup");

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "lookup-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", form.getAttribute("data-list-label") || "");
    list.hidden = true;
    field.appendChild(list);

    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    field.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var timer = null;
    var sent = 0; /* the number of the newest request: older answers are dropped */
    var active = -1;
    var matches = [];

    function text(name, n) {
      return (form.getAttribute(name) || "").replace("{n}", String(n));
    }

    function sendable(value) {
      var compact = value.replace(/\s+/g, "").replace(/[\uFF10-\uFF19]/g, function (c) {
        return String.fromCharCode(c.charCodeAt(0) - 0xFF10 + 48);
      }).replace(/[\uFF38\uFF58]/g, "X");
      if (/^[0-9Xx]+$/.test(compact) && /[0-9]/.test(compact)) {
        return compact.length === 15 || compact.length === 18 || compact.length === 20;
      }
      return compact.length >= MIN_CHARS;
    }

    function setActive(index) {
      var options = list.querySelectorAll("[role=option]");
      for (var i = 0; i < options.length; i += 1) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function show(data) {
      matches = data.matches || [];
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      matches.forEach(function (m, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "lookup-name";
        name.textContent = m.name;
        var detail = document.createElement("span");
        detail.className = "lookup-detail";
        detail.textContent = m.id_number_masked + (m.township ? " · " + m.township : "");
        li.appendChild(name);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(detail);
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); /* keep the focus in the box */
        });
        li.addEventListener("click", function () {
          window.location.assign(m.url);
        });
        list.appendChild(li);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (matches.length) {
        open();
        status.textContent = data.more
          ? text("data-more-text", matches.length)
          : text("data-count-text", matches.length);
      } else {
        close();
        status.textContent = text("data-none-text", 0);
      }
    }

    function lookUp() {
      var value = input.value;
      if (!sendable(value)) {
        sent += 1;
        matches = [];
        close();
        return;
      }
      sent += 1;
      var mine = sent;
      // A form-encoded body, not FormData's multipart: the server parses it in less time.
      var body = new URLSearchParams();
      body.append("csrfmiddlewaretoken", token.value);
      body.append("q", value);
      if (region) {
        body.append("region", region.value);
      }
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (mine !== sent) {
            return;
          }
          if (data) {
            show(data);
          } else {
            close();
          }
        })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookUp, DEBOUNCE_MS);
    });
    if (region) {
      region.addEventListener("change", function () {
        if (input.value) {
          lookUp();
        }
      });
    }
    input.addEventListener("keydown", function (event) {
      var key = event.key;
      if (key === "ArrowDown" || key === "Down") {
        if (!matches.length) {
          return;
        }
        event.preventDefault();
        open();
        setActive(active + 1 >= matches.length ? 0 : active + 1);
      } else if (key === "ArrowUp" || key === "Up") {
        if (!matches.length) {
          return;
        }
        event.preventDefault();
        open();
        setActive(active <= 0 ? matches.length - 1 : active - 1);
      } else if (key === "Enter") {
        if (!list.hidden && active >= 0 && matches[active]) {
          event.preventDefault(); /* otherwise Enter submits the form as without script */
          window.location.assign(matches[active].url);
        }
      } else if (key === "Escape" || key === "Esc") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
