"""HTML to PDF with headless Chromium (Debian's package, driven by Playwright).

The server renders the report's HTML first (every database read done); Chromium only prints
that string: it is given the content, never a URL, and every request it would make is refused,
so nothing leaves the machine and no session cookie is involved.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.utils.html import escape
from playwright.sync_api import Error, sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 30_000


class PdfUnavailable(RuntimeError):
    """Chromium is not installed (or failed); the HTML report still works (print to PDF)."""


def available() -> bool:
    return os.path.exists(settings.CHROMIUM_PATH)


def footer(text: str) -> str:
    """Chromium's footer template: ``text`` and "page N of M" on every page."""
    return ('<div style="font-size:8px;width:100%;padding:0 12mm;display:flex;'
            f'justify-content:space-between;font-family:sans-serif"><span>{escape(text)}</span>'
            '<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span>'
            '</span></div>')


def html_to_pdf(html: str, *, footer_text: str = "") -> bytes:
    """A4 PDF of ``html``. Raises PdfUnavailable when Chromium cannot be run."""
    if not available():
        raise PdfUnavailable(f"No Chromium at {settings.CHROMIUM_PATH}.")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=settings.CHROMIUM_PATH, headless=True,
                                         args=CHROMIUM_ARGS, timeout=TIMEOUT_MS)
            try:
                page = browser.new_page()
                page.route("**/*", lambda route: route.abort())
                page.set_content(html, wait_until="load", timeout=TIMEOUT_MS)
                return page.pdf(
                    format="A4", print_background=True, display_header_footer=True,
                    header_template="<span></span>", footer_template=footer(footer_text),
                    margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                )
            finally:
                browser.close()
    except Error as exc:
        raise PdfUnavailable(str(exc)) from exc
