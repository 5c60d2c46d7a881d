from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "dpf.services"
    label = "services"
    verbose_name = "Services"
