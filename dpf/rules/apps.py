from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "dpf.rules"
    label = "rules"
    verbose_name = "Rules"
