// Jobs pages: keep status badges and progress bars live from "core.job.*" events.
// Elements carry data-job-id; the page has one [data-job-labels] with the translated statuses.
(function () {
  "use strict";
  var BADGES = {
    queued: "bg-secondary-lt",
    running: "bg-blue-lt",
    succeeded: "bg-green-lt",
    failed: "bg-red-lt",
    cancelled: "bg-yellow-lt"
  };

  function label(status) {
    var labels = document.querySelector("[data-job-labels]");
    return (labels && labels.getAttribute("data-" + status)) || status;
  }

  function update(el, p) {
    if (el.hasAttribute("data-job-progress")) {
      var total = Number(p.total) || 0;
      if (total > 0) {
        el.max = total;
        el.value = Math.min(Number(p.done) || 0, total);
      } else if (p.status === "succeeded") {
        el.max = 1;
        el.value = 1;
      }
      el.textContent = (Number(p.percent) || 0) + "%";
    }
    if (el.hasAttribute("data-job-counter")) {
      el.textContent = Number(p.total) > 0 ? p.done + " / " + p.total : (Number(p.percent) || 0) + "%";
    }
    if (el.hasAttribute("data-job-note")) {
      el.textContent = p.note || "";
    }
    if (el.hasAttribute("data-job-status") && p.status && BADGES[p.status]) {
      Object.keys(BADGES).forEach(function (s) { el.classList.remove(BADGES[s]); });
      el.classList.add(BADGES[p.status]);
      el.setAttribute("data-job-status", p.status);
      el.textContent = label(p.status);
    }
  }

  function refreshList() {
    var table = document.getElementById("object-table");
    if (table && window.htmx) {
      window.htmx.ajax("GET", window.location.href, { target: "#object-table", swap: "innerHTML" });
    }
  }

  function onEvent(message) {
    var p = message.payload || {};
    if (p.job_id === undefined || p.job_id === null) { return; }
    var id = String(p.job_id);
    var found = false;
    document.querySelectorAll("[data-job-id]").forEach(function (el) {
      if (el.getAttribute("data-job-id") === id) { found = true; update(el, p); }
    });
    if (message.event === "core.job.finished") {
      var reload = document.querySelector("[data-job-reload-on-finish]");
      if (reload && reload.getAttribute("data-job-reload-on-finish") === id) {
        window.location.reload();  // show the full log, error and download
        return;
      }
    }
    if (message.event === "core.job.queued" || (message.event === "core.job.finished" && found)) {
      refreshList();
    }
  }

  if (window.gatehouseRealtime) {
    window.gatehouseRealtime.on("core.job.", onEvent);
  }
})();
