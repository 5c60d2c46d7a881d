from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dpf.core"
    label = "core"
    verbose_name = "Core"
