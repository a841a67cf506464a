/* Downloads page and report: the copy button of the calendar address, the print button.
   Kept out of the HTML (no inline script). */
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = document.querySelector("[data-copy-status]");
      var done = function () { if (status) { status.textContent = "Copied."; } };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          field.select();
          if (status) { status.textContent = "Select the address and copy it."; }
        });
      } else {
        field.select();
        document.execCommand("copy");
        done();
      }
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
