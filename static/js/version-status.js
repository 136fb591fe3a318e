// Follows a version through the pipeline (uploaded → pinning → pinned → checking → admitted)
// by polling its status endpoint, so the page updates without a reload.
(function () {
  "use strict";
  var root = document.querySelector("[data-status-url]");
  if (!root) return;
  var url = root.dataset.statusUrl;
  var order = JSON.parse(root.dataset.pipeline);
  var delay = 1000;

  function render(s) {
    var badge = root.querySelector("[data-status]");
    badge.textContent = s.status;
    badge.className = "badge " + s.status;
    root.querySelector("[data-reason]").textContent = s.reason || "";
    var reached = order.indexOf(s.status);
    root.querySelectorAll(".steps li").forEach(function (li, i) {
      li.classList.remove("done", "current", "bad");
      if (s.status === "rejected" || s.status === "failed") {
        if (i === order.length - 1) { li.classList.add("bad"); li.textContent = s.status; }
      } else if (i < reached) { li.classList.add("done"); }
      else if (i === reached) { li.classList.add(s.terminal ? "done" : "current"); }
    });
    if (s.pin) {
      root.querySelector("[data-pin]").textContent =
        s.pin.status + (s.pin.attempts ? " (attempt " + s.pin.attempts + ")" : "") +
        (s.pin.last_error && s.pin.status !== "pinned" ? " — " + s.pin.last_error : "");
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        render(s);
        if (!s.terminal) setTimeout(poll, delay);
        else if (root.dataset.reloadOnDone === "1" && root.dataset.initialStatus !== s.status) {
          // The report and badges below are server-rendered: show them once the work is done.
          window.location.reload();
        }
      })
      .catch(function () { setTimeout(poll, delay * 3); });
  }
  poll();
})();
