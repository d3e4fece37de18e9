// Console behaviour without inline scripts (the CSP forbids them): theme toggle, live events.
(function () {
  "use strict";
  var root = document.documentElement;

  function setCookie(name, value) {
    document.cookie = name + "=" + encodeURIComponent(value) + "; path=/; max-age=31536000; SameSite=Lax";
  }

  // Theme toggle: light -> dark -> auto (follow the system) -> light ...
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (!toggle) { return; }
    event.preventDefault();
    var current = root.getAttribute("data-theme-choice") || "auto";
    var next = current === "light" ? "dark" : current === "dark" ? "auto" : "light";
    root.setAttribute("data-theme-choice", next);
    setCookie("gatehouse_theme", next);
    window.gatehouseApplyTheme();
  });

  // Live events over the console WebSocket.
  var listeners = [];
  window.gatehouseRealtime = {
    on: function (prefix, callback) { listeners.push({ prefix: prefix, callback: callback }); }
  };

  function showToast(text) {
    var box = document.querySelector("[data-realtime-toasts]");
    if (!box) { return; }
    var toast = document.createElement("div");
    toast.className = "toast show";
    toast.setAttribute("role", "status");
    toast.setAttribute("data-testid", "live-event");
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = text;
    toast.appendChild(body);
    box.appendChild(toast);
    setTimeout(function () { toast.remove(); }, 6000);
  }

  // The dashboard's "Live events" card: newest on top, at most data-live-limit (20) items.
  var FEED_LIMIT = 20;

  function addToFeed(message) {
    var feed = document.querySelector("[data-live-feed]");
    if (!feed) { return; }
    var empty = feed.querySelector("[data-live-empty]");
    if (empty) { empty.remove(); }
    var item = document.createElement("div");
    item.className = "list-group-item";
    item.setAttribute("data-testid", "live-feed-item");
    item.setAttribute("data-event", message.event);
    var label = document.createElement("span");
    label.className = "text-reset";
    label.textContent = message.label || message.event;
    item.appendChild(label);
    var payload = message.payload || {};
    if (payload.object) {
      var what = document.createElement("span");
      what.className = "text-secondary ms-1";
      what.textContent = payload.object;
      item.appendChild(what);
    }
    var meta = document.createElement("div");
    meta.className = "d-block text-secondary text-truncate small";
    var time = new Date();
    meta.textContent = (payload.actor ? payload.actor + " · " : "") + time.toLocaleTimeString();
    item.appendChild(meta);
    feed.insertBefore(item, feed.firstChild);
    var limit = parseInt(feed.getAttribute("data-live-limit"), 10) || FEED_LIMIT;
    while (feed.children.length > limit) { feed.removeChild(feed.lastChild); }
  }

  function dispatch(message) {
    document.dispatchEvent(new CustomEvent("gatehouse:event", { detail: message }));
    listeners.forEach(function (l) {
      if (message.event.indexOf(l.prefix) === 0) { l.callback(message); }
    });
    if (message.event.indexOf("core.job.") !== 0) {
      addToFeed(message);
      var what = message.payload && message.payload.object ? " — " + message.payload.object : "";
      showToast(message.label ? message.label + what : message.event + what);
    }
    document.querySelectorAll("[data-live-refresh]").forEach(function (el) {
      var prefixes = (el.getAttribute("data-live-refresh") || "").split(" ");
      if (prefixes.some(function (p) { return p && message.event.indexOf(p) === 0; }) && window.htmx) {
        window.htmx.trigger(el, "gatehouse:refresh");
      }
    });
  }

  function connect() {
    var path = document.body.getAttribute("data-realtime-url");
    if (!path || !window.WebSocket) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + path);
    var status = document.querySelector("[data-realtime-status]");
    socket.onopen = function () { if (status) { status.classList.remove("d-none"); } document.body.setAttribute("data-realtime", "open"); };
    socket.onmessage = function (event) {
      try { dispatch(JSON.parse(event.data)); } catch (e) { /* ignore malformed frames */ }
    };
    socket.onclose = function (event) {
      if (status) { status.classList.add("d-none"); }
      document.body.setAttribute("data-realtime", "closed");
      // 4401 (not logged in) and 4403 (may not listen) will not change by retrying; the next
      // page load (after logging in or changing the password) opens a new socket.
      if (event.code === 4401 || event.code === 4403) { return; }
      setTimeout(connect, 3000);
    };
  }
  document.addEventListener("DOMContentLoaded", connect);
})();
