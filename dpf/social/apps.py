from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "dpf.social"
    label = "social"
    verbose_name = "Social assistance"
