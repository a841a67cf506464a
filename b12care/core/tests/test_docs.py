"""README.md and docs/*.md point only at things inside this repository that exist: every
relative link (and its #anchor), every file path they name, and nothing outside the checkout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# A file path the text names, e.g. `b12care/core/health.py` or docs/security.md.
REPO_PATH = re.compile(
    r"(?<![\w/.-])((?:docs|b12care|injections|labs|symptoms|bench|templates|static|\.ci)/"
    r"[\w./-]*\.(?:md|py|env|html|css|js|svg|txt|toml|json))\b")
OUTSIDE = re.compile(r"(?<![\w.])(?:/work/|/home/|\.\./)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, flags=re.M)}


def links(path: Path) -> list[str]:
    return [target for target in LINK.findall(path.read_text())
            if not re.match(r"[a-z][a-z0-9+.-]*:", target)]  # http:, https:, mailto:


def test_the_slug_matches_githubs_anchors():
    assert slug("OWASP ASVS 5.0 Level 2, chapter by chapter") == (
        "owasp-asvs-50-level-2-chapter-by-chapter")
    assert slug("HIPAA §164.312 technical safeguards") == "hipaa-164312-technical-safeguards"
    assert slug("Privacy rights: download everything, close the account") == (
        "privacy-rights-download-everything-close-the-account")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves_inside_the_repository(doc):
    broken = []
    for target in links(doc):
        file_part, _, anchor = target.partition("#")
        path = (doc.parent / file_part).resolve() if file_part else doc
        missing = not path.is_relative_to(ROOT) or not path.exists()
        if missing or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(target)
    assert not broken, f"{doc.name}: links to nothing in the repository: {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_file_path_named_exists(doc):
    missing = sorted({p for p in REPO_PATH.findall(doc.read_text()) if not (ROOT / p).exists()})
    assert not missing, f"{doc.name} names files that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_nothing_points_outside_the_checkout(doc):
    text = doc.read_text()
    outside = [text[max(0, m.start() - 30):m.end() + 30] for m in OUTSIDE.finditer(text)]
    assert not outside, f"{doc.name} points outside the repository: {outside}"
