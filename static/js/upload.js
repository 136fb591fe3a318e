// Sends the upload form with XMLHttpRequest so the browser can show a progress bar.
// Without JavaScript the form still posts normally; the server's answer is the same page.
(function () {
  "use strict";

  function human(bytes) {
    var units = ["B", "KB", "MB", "GB", "TB"], i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return bytes.toFixed(i ? 1 : 0) + " " + units[i];
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-upload]")) return;
    var input = form.querySelector("input[type=file]");
    var max = parseInt(form.dataset.maxBytes, 10);
    var status = form.querySelector("[data-upload-status]");
    var box = form.querySelector("[data-progress]");
    var bar = box.querySelector(".bar");
    if (input.files.length && max && input.files[0].size > max) {
      event.preventDefault();
      status.textContent = "The file is " + human(input.files[0].size) + ", above the limit of " + human(max) + ".";
      status.classList.add("errorlist");
      return;
    }
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    box.hidden = false;
    box.setAttribute("role", "progressbar");
    form.querySelector("button[type=submit]").disabled = true;
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.round((e.loaded / e.total) * 100);
      bar.style.width = pct + "%";
      box.setAttribute("aria-valuenow", String(pct));
      status.textContent = "Uploading… " + pct + "% (" + human(e.loaded) + " of " + human(e.total) + ")";
    });
    xhr.upload.addEventListener("load", function () {
      bar.style.width = "100%";
      status.textContent = "Upload complete; computing the CID and staging the file…";
    });
    xhr.addEventListener("load", function () {
      // A redirect means the upload was accepted: follow it to the version page.
      if (xhr.status < 400 && xhr.responseURL && xhr.responseURL.split("#")[0] !== form.action) {
        window.location.assign(xhr.responseURL);
        return;
      }
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var main = doc.getElementById("main");
      if (main) {
        document.getElementById("main").innerHTML = main.innerHTML;
      } else {
        status.textContent = "The server answered " + xhr.status + ". Please try again.";
      }
    });
    xhr.addEventListener("error", function () {
      status.textContent = "The connection failed during the upload. Nothing was stored; please try again.";
      form.querySelector("button[type=submit]").disabled = false;
    });
    xhr.send(new FormData(form));
  });
})();
