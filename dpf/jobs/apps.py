from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "dpf.jobs"
    label = "jobs"
    verbose_name = "Jobs and schedules"
