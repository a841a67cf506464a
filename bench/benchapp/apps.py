from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Bench-only commands and the baseline page; installed by bench/settings.py alone."""

    name = "bench.benchapp"
    label = "bench"
    verbose_name = "Benchmarks"
