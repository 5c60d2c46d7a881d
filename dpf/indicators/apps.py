from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "dpf.indicators"
    label = "indicators"
    verbose_name = "Indicators"
