/* Idle-logoff warning. The server decides when a session ends (SessionLimitsMiddleware); this
   script only warns SESSION_WARNING_SECONDS before, offers "Stay signed in", and goes to the
   sign-in page once the server says the session is over. No inline script: CSP-friendly. */
(function () {
  "use strict";
  const box = document.getElementById("session-timeout");
  if (!box || !window.fetch) {
    return;
  }
  const warnSeconds = Number(box.dataset.warningSeconds);
  const statusUrl = box.dataset.statusUrl;
  const loginUrl = box.dataset.loginUrl;
  const form = box.querySelector("form[data-keep-alive]");
  const countdowns = box.querySelectorAll("[data-countdown]");
  const idleText = box.querySelector("[data-ends-by=idle]");
  const absoluteText = box.querySelector("[data-ends-by=absolute]");
  let deadline = 0;
  let timer = null;
  let ticker = null;

  function describe(seconds) {
    if (seconds >= 60) {
      const minutes = Math.ceil(seconds / 60);
      return minutes + (minutes === 1 ? " minute" : " minutes");
    }
    return seconds + (seconds === 1 ? " second" : " seconds");
  }

  function stop() {
    clearTimeout(timer);
    clearInterval(ticker);
  }

  function arm(secondsLeft) {
    stop();
    box.hidden = true;
    timer = setTimeout(check, Math.max(0, secondsLeft - warnSeconds) * 1000);
  }

  function tick() {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    countdowns.forEach(function (element) {
      element.textContent = describe(left);
    });
  }

  function warn(secondsLeft, endsBy) {
    stop();
    deadline = Date.now() + secondsLeft * 1000;
    const absolute = endsBy === "absolute";
    idleText.hidden = absolute;
    absoluteText.hidden = !absolute;
    form.hidden = absolute;
    tick();
    box.hidden = false;
    ticker = setInterval(tick, 1000);
    // When time is up, ask the server again: it signs the session out and says why.
    timer = setTimeout(check, secondsLeft * 1000 + 1000);
  }

  function signedOut() {
    stop();
    const here = window.location.pathname + window.location.search;
    window.location.assign(loginUrl + "?next=" + encodeURIComponent(here));
  }

  function follow(response) {
    return response.json().then(function (state) {
      if (!state.signed_in) {
        signedOut();
      } else if (state.seconds_left === null || state.seconds_left > warnSeconds + 5) {
        arm(state.seconds_left === null ? warnSeconds * 2 : state.seconds_left);
      } else {
        warn(state.seconds_left, state.ends_by);
      }
    });
  }

  function check() {
    fetch(statusUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(follow)
      .catch(function () {
        timer = setTimeout(check, 15000);  // offline for a moment: ask again soon
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: {Accept: "application/json"},
    }).then(follow).catch(function () {
      form.submit();
    });
  });

  arm(Number(box.dataset.secondsLeft));
})();
