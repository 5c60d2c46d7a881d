from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "dpf.registry"
    label = "registry"
    verbose_name = "Registry"
