from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "dpf.benefits"
    label = "benefits"
    verbose_name = "Benefits"

    def ready(self) -> None:
        # Entitlements are a source of ``receiving("code")`` in the rule language.
        from dpf.benefits.receiving import register

        register()
