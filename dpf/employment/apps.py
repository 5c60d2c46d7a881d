from django.apps import AppConfig


class EmploymentConfig(AppConfig):
    name = "dpf.employment"
    label = "employment"
    verbose_name = "Employment"
