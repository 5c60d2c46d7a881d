from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "dpf.benefits"
    label = "benefits"
    verbose_name = "Benefits"

    def ready(self) -> None:
        # Entitlements are a source of ``receiving("code")`` in the rule language, and of
        # ``allowance_suspended_days`` (return-to-poverty monitoring).
        from dpf.benefits import receiving, suspensions

        receiving.register()
        suspensions.register()
