"""Shape rules the whole product follows (docs/architecture.md)."""

import ast
import re
from pathlib import Path

from django.conf import settings

PRODUCT = ("b12care", "injections", "labs", "symptoms")
MAX_FUNCTION_LINES = 60
# Modules whose cache writes are rate-limit counters keyed by client address (nothing clinical).
RATE_LIMIT_COUNTERS = {"b12care/exports/throttle.py"}


def product_modules():
    root = Path(settings.BASE_DIR)
    for package in PRODUCT:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).parts
            if "migrations" in parts or "tests" in parts:
                continue
            yield path.relative_to(root), path.read_text()


def test_no_function_is_longer_than_sixty_lines_outside_migrations_and_demo_data():
    long = []
    for name, source in product_modules():
        if name.name == "demo.py":
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


def test_nothing_rendered_or_clinical_is_written_to_a_cache():
    """Pages read PostgreSQL read models; caches hold only rate-limit counters (allauth's)."""
    writes = re.compile(r"\bcache\.(set|set_many|add|get_or_set)\(|cache_page|\{% cache ")
    found = [str(name) for name, source in product_modules()
             if writes.search(source) and str(name) not in RATE_LIMIT_COUNTERS]
    templates = Path(settings.BASE_DIR) / "templates"
    found += [str(p) for p in templates.rglob("*.html") if "{% cache " in p.read_text()]
    assert found == []
