"""The product ships no bench page and no bench command: those live in bench/ and are
installed by bench/settings.py alone. These tests run with the product's settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import get_commands
from django.urls import Resolver404, get_resolver, resolve

ROOT = Path(settings.BASE_DIR)
BENCH_COMMANDS = ("seed_bench", "bench_")


def _all_routes(resolver, prefix=""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if hasattr(entry, "url_patterns"):
            yield from _all_routes(entry, route)
        else:
            yield route


def test_the_product_urlconf_has_no_bench_route():
    with pytest.raises(Resolver404):
        resolve("/bench/baseline/")
    assert [r for r in _all_routes(get_resolver()) if "bench" in r] == []


def test_no_installed_app_is_a_bench_app():
    assert [a.name for a in apps.get_app_configs() if "bench" in a.name] == []


def test_no_installed_command_is_a_bench_command():
    assert [name for name in get_commands() if name.startswith(BENCH_COMMANDS)] == []


def test_no_product_package_holds_a_bench_command_file():
    """Also catches a command file in an app that is not installed (yet)."""
    packages = [d for d in ROOT.iterdir() if (d / "__init__.py").is_file() and d.name != "bench"]
    found = [
        str(path.relative_to(ROOT))
        for package in packages
        for path in package.glob("**/management/commands/*.py")
        if path.name.startswith(BENCH_COMMANDS)
    ]
    assert packages and found == []


def test_the_product_settings_have_no_bench_switch():
    assert not hasattr(settings, "BENCH_ENDPOINTS")
    assert settings.ROOT_URLCONF == "b12care.urls"
