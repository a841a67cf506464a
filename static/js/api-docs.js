/* The API docs page: Swagger UI over our OpenAPI schema. A file, not an inline script, so a
   Content-Security-Policy can forbid inline scripts. "Try it out" uses the signed-in session,
   so writes carry the CSRF token that Django set in its cookie. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      if (!/^(GET|HEAD|OPTIONS)$/i.test(request.method)) {
        request.headers["X-CSRFToken"] = csrfToken();
      }
      return request;
    },
  });
})();
