from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "dpf.exchange"
    label = "exchange"
    verbose_name = "Data exchange"
