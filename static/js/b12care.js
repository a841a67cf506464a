// B12 Care's own page behaviour. It lives here, not in the templates, because the
// Content-Security-Policy allows no inline script or on*= handler: elements ask for behaviour
// with data- attributes instead.
"use strict";

document.addEventListener("click", (event) => {
  // <button type="button" data-print>: print this page (the review page's summary).
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
