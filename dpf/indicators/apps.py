from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "dpf.indicators"
    label = "indicators"
    verbose_name = "Indicators"

    def ready(self) -> None:
        from django.core import checks

        from dpf.indicators.disclosure import check_threshold

        checks.register(check_threshold)
