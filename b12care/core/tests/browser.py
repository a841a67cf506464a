"""Helpers for browser journeys: Playwright driving Debian's chromium (no browser download).

Fixtures live in the root conftest.py (``browser_page``); journeys are marked
``@pytest.mark.browser``. A failing journey saves a screenshot under ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Flags for a sandboxed, offline machine: no background calls home, no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


# Touch targets (WCAG 2.2 2.5.5, and 44 px for people with numb fingers): at least 44×44 CSS px.
MIN_TARGET = 44
# The tap target of each visible control: a tick box or radio counts with its label (the label
# ticks it; the CSS makes the pair one full-width row), a chip or scale button is the label of a
# visually hidden radio, a "stretched" link covers its row. The skip link is 1 px until it has
# focus (then a 44 px button).
MEASURE = """() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  const box = (r) => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  const union = (a, b) => ({left: Math.min(a.left, b.left), top: Math.min(a.top, b.top),
    right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom)});
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.matches('.visually-hidden-focusable') || el.closest('[hidden]')) continue;
    const own = el.getBoundingClientRect();
    let r = box(own);
    if (el.matches('input[type=radio], input[type=checkbox]')) {
      const label = el.labels && el.labels[0];
      if (label) {
        const l = label.getBoundingClientRect();
        if (l.width === 0) continue;  // inside a closed disclosure
        r = el.matches('.btn-check') ? box(l) : union(r, box(l));
      }
    } else if (el.matches('.stretched-link') && el.offsetParent) {
      r = box(el.offsetParent.getBoundingClientRect());  // the whole row is the link
    } else if (own.width === 0 || own.height === 0) {
      continue;  // not rendered (closed menu, closed disclosure)
    }
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const w = Math.round(r.right - r.left), h = Math.round(r.bottom - r.top);
    const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    out.push({tag: el.tagName.toLowerCase() + (el.type ? '[' + el.type + ']' : ''), name, w, h});
  }
  return out;
}"""


def too_small(page) -> list[str]:
    """Each visible control of the page smaller than 44×44 px, named, with its size."""
    return [f"{c['tag']} “{c['name']}” {c['w']}×{c['h']}" for c in page.evaluate(MEASURE)
            if c["w"] < MIN_TARGET or c["h"] < MIN_TARGET]


def open_disclosures(page) -> None:
    """Open every <details> so the controls behind them are measured too."""
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")


def shot(page, name: str, *, prefix: str = "") -> None:
    """Save a full-page PNG into the folder ``B12_SCREENSHOTS`` names, if any (for looking at
    pages before and after a change; ``make screenshots`` does it for every main page)."""
    folder = os.environ.get("B12_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{prefix}{name}.png"), full_page=True)


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which(CHROMIUM) is not None


def click_and_wait(page, locator) -> None:
    """Click something that navigates (a form's button, a link) and return once the new page
    has loaded. ``wait_for_load_state`` after a click can return before the navigation has
    even begun, and the next assertion then reads the old page."""
    with page.expect_navigation():
        locator.click()


def login_as(page, live_server, email: str, password: str) -> None:
    """Sign in through the real allauth form, as a person would; when asked for the code of
    an authenticator app (clinicians, admins), type what the user's app would show now."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    click_and_wait(page, page.get_by_role("button", name="Sign in"))
    if "/accounts/2fa/authenticate/" in page.url:
        page.get_by_label("Code").fill(current_code(email))
        click_and_wait(page, page.get_by_role("button", name="Sign in"))


def current_code(email: str) -> str:
    """The code the authenticator app of ``email`` shows now (tests and demo data only)."""
    import time

    from allauth.mfa.models import Authenticator

    from b12care.accounts.mfa import decrypt_secret, totp_code

    totp = Authenticator.objects.get(user__email=email, type=Authenticator.Type.TOTP)
    return totp_code(decrypt_secret(totp.data["secret"]), at=time.time())
