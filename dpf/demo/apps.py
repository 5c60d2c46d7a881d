from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "dpf.demo"
    label = "demo"
    verbose_name = "Synthetic demo data"
