/* Progressive enhancement for the citizen pages. Every page works without this file:
   plain form posts and full pages. With it (and htmx): field checks as you go, in-place
   page swaps, modal popups, upload previews with progress, live branch search, SMS countdown,
   searchable long lists (a region picker's levels are swapped in by htmx). Texts come from data-* attributes
   rendered from the server's message catalog. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  function configure() {
    if (!window.htmx) return;                  // more settings: base.html's htmx-config
    htmx.config.responseHandling = [
      {code: "204", swap: false},
      {code: "[23]..", swap: true},
      {code: "(409|422)", swap: true},         // validation errors and popups are pages to show
      {code: "[45]..", swap: false, error: true}
    ];
  }

  /* A change inside an element marked data-no-refresh (the SMS code, search and filter boxes, the
     levels of a region picker) does not re-check the field around it. Here and not as an hx-trigger
     filter: filters need eval, which the Content-Security-Policy forbids. */
  document.addEventListener("htmx:confirm", function (event) {
    var trigger = event.detail.triggeringEvent, source = trigger && trigger.target;
    if (trigger && trigger.type === "change" && source !== event.detail.elt && source.hasAttribute &&
        source.hasAttribute("data-no-refresh")) event.preventDefault();
  });

  function each(scope, selector, fn) {
    if (scope.matches && scope.matches(selector)) fn(scope);
    Array.prototype.forEach.call(scope.querySelectorAll(selector), fn);
  }

  function announce(text) {
    var live = document.getElementById("announce");
    if (live) { live.textContent = ""; setTimeout(function () { live.textContent = text; }, 50); }
  }

  /* Popups (弹窗) become modal dialogs: focus moves in, Escape and 取消 close them. */
  function initDialogs(scope) {
    each(scope, "dialog[data-modal]", function (dialog) {
      if (dialog.dataset.ready) return;
      dialog.dataset.ready = "1";
      if (dialog.open) { dialog.close(); }
      dialog.showModal();
      var first = dialog.querySelector("[autofocus]") || dialog.querySelector("button, a");
      if (first) first.focus();
    });
  }
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("dialog [data-close]");
    if (closer) { event.preventDefault(); closer.closest("dialog").close(); }
  });

  /* 【发送验证码】: the server refuses a second code too soon; the button counts down. */
  function initCountdowns(scope) {
    each(scope, "[data-countdown]", function (button) {
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      var left = parseInt(button.dataset.countdown, 10) || 0;
      var label = button.dataset.label || button.textContent;
      var template = button.dataset.wait || "{seconds}";
      function tick() {
        if (left <= 0) { button.disabled = false; button.textContent = label; return; }
        button.disabled = true;
        button.textContent = template.replace("{seconds}", left);
        left -= 1;
        setTimeout(tick, 1000);
      }
      tick();
    });
  }

  /* Actions that change something (发送验证码) win over field checks: a check that started
     before the action's answer arrived must not paint over it. */
  var lastAction = 0;
  document.addEventListener("htmx:beforeRequest", function (event) {
    event.detail.xhr.startedAt = Date.now();
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.startedAt && xhr.startedAt < lastAction) event.detail.shouldSwap = false;
  });

  /* 【发送验证码】: posted with the form's answers; the form body is replaced with the answer
     (which says where the code went and starts the countdown). */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-sms-url]");
    if (!button || !window.htmx || typeof fetch !== "function") return;
    event.preventDefault();
    lastAction = Date.now();
    var headers = {"HX-Request": "true"};
    var csrf = button.form.querySelector("input[name=_csrf]");
    if (csrf) headers["X-CSRF-Token"] = csrf.value;
    fetch(button.dataset.smsUrl, {method: "POST", body: new FormData(button.form), headers: headers,
                                  credentials: "same-origin"})
      .then(function (response) { return response.text(); })
      .then(function (html) {
        lastAction = Date.now();
        // only the code field and its phone field change: typing elsewhere is never lost
        [button.dataset.field, button.dataset.phoneField].forEach(function (name) {
          if (name && document.getElementById("f-" + name)) {
            htmx.swap("#f-" + name, html, {swapStyle: "outerHTML"}, {select: "#f-" + name});
          }
        });
      });
  });

  /* Long lists (民族, 服务银行 ...): a filter box above the select. */
  function initSearchable(scope) {
    each(scope, "select[data-searchable]", function (select) {
      if (select.dataset.ready) return;
      select.dataset.ready = "1";
      var box = document.createElement("input");
      box.type = "search";
      box.className = "filter";
      box.setAttribute("data-no-refresh", "");
      box.placeholder = select.dataset.filterText || "";
      box.setAttribute("aria-label", (select.dataset.filterText || "") + " " + (select.labels[0] ? select.labels[0].textContent : ""));
      box.addEventListener("input", function () {
        var q = box.value.trim();
        Array.prototype.forEach.call(select.options, function (option) {
          option.hidden = q !== "" && option.value !== "" && option.text.indexOf(q) < 0;
        });
      });
      select.parentNode.insertBefore(box, select);
    });
  }

  /* Uploads: checked in the browser first (type, size; the server checks again), then sent at once. */
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file]") || !input.files || !input.files[0]) return;
    var file = input.files[0];
    var slot = input.closest(".field");
    var error = null;
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) error = input.dataset.msgType;
    else if (file.size > parseInt(input.dataset.maxBytes || "0", 10)) error = input.dataset.msgSize;
    var old = slot && slot.querySelector(".client-error");
    if (old) old.remove();
    if (error) {
      event.stopPropagation();                 // do not send it
      input.value = "";
      var p = document.createElement("p");
      p.className = "error client-error";
      p.setAttribute("role", "alert");
      p.textContent = error;
      input.closest("fieldset").appendChild(p);
    }
  }, true);

  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = event.target.querySelector && event.target.querySelector(".upload-progress");
    if (bar && event.detail.total) {
      bar.hidden = false;
      bar.value = Math.round(event.detail.loaded * 100 / event.detail.total);
    }
  });

  /* Session expiry: the body says how many seconds are left (data-session-expires) and how long
     before the end to warn (data-session-warn). Any request to the server starts the count again;
     【继续操作】 pings the server; at the end the page goes home (the draft is kept on the server). */
  var session = {deadline: 0, timer: null};
  function sessionSchedule(seconds) {
    var body = document.body, box = document.getElementById("session-warning");
    if (!box || !body.dataset.sessionExpires) return;
    session.deadline = Date.now() + seconds * 1000;
    box.hidden = true;
    if (session.timer) clearInterval(session.timer);
    var warn = parseInt(body.dataset.sessionWarn, 10) || 120;
    session.timer = setInterval(function () {
      var left = Math.round((session.deadline - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(session.timer);
        box.querySelector("p").textContent = box.dataset.expired;
        box.querySelector("[data-session-keep]").hidden = true;
        box.hidden = false;
        return;
      }
      if (left <= warn) {
        var text = box.dataset.text.replace("{seconds}", String(left));
        if (box.hidden) { box.hidden = false; announce(text); }
        box.querySelector("p").textContent = text;
      }
    }, 1000);
  }
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-session-keep]")) return;
    var body = document.body;
    fetch(body.dataset.sessionPing, {credentials: "same-origin"}).then(function (r) {
      if (r.ok) sessionSchedule(parseInt(body.dataset.sessionExpires, 10));
    });
  });
  document.addEventListener("htmx:afterRequest", function () {
    var body = document.body;
    if (body.dataset.sessionExpires) sessionSchedule(parseInt(body.dataset.sessionExpires, 10));
  });

  /* 后退/前进: a page restored from the browser's back-forward cache would show an older copy of the
     form (the pages are sent no-store; some browsers keep them anyway): load it afresh. */
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && document.getElementById("page-form")) window.location.reload();
  });

  function init(scope) {
    each(scope, ".js-only", function (el) { el.hidden = false; });
    initDialogs(scope);
    initCountdowns(scope);
    initSearchable(scope);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "main" || event.target.id === "main") {
      var main = document.getElementById("main");
      var summary = main.querySelector(".error-summary");
      var heading = main.querySelector("h1");
      if (summary) summary.focus();
      else if (!main.querySelector("dialog[open]")) { main.focus(); if (heading) announce(heading.textContent); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    configure();
    init(document.body);
    if (document.body.dataset.sessionExpires) sessionSchedule(parseInt(document.body.dataset.sessionExpires, 10));
    if (window.htmx) htmx.onLoad(function (el) { init(el); });
  });
})();
