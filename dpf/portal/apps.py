from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "dpf.portal"
    label = "portal"
    verbose_name = "Citizens' portal"
