from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "dpf.bench"
    label = "bench"
    verbose_name = "Benchmarks"
