from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "dpf.workflow"
    label = "workflow"
    verbose_name = "Workflow"
