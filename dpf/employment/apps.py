from django.apps import AppConfig


class EmploymentConfig(AppConfig):
    name = "dpf.employment"
    label = "employment"
    verbose_name = "Employment"

    def ready(self) -> None:
        # Employer accounts belong to a registered employer (dpf.accounts.organisations).
        from dpf.accounts import organisations
        from dpf.core.roles import Role
        from dpf.employment.models import Employer

        def find(code: str) -> organisations.Organisation | None:
            row = Employer.objects.filter(credit_code=code).first()
            if row is None:
                return None
            return organisations.Organisation(row.credit_code, row.name, row.county_code)

        def within(prefix: str) -> list[organisations.Organisation]:
            rows = Employer.objects.filter(county_code__startswith=prefix).order_by("name")
            return [organisations.Organisation(r.credit_code, r.name, r.county_code) for r in rows]

        organisations.register(Role.EMPLOYER, find=find, within=within)

        # Training attended, on the registry's person timeline.
        from dpf.employment.timeline import person_graduate_events, person_training_events
        from dpf.registry import timeline_sources

        timeline_sources.register("training", person_training_events)
        # Support actions for a college graduate (一人一策), on the same timeline.
        timeline_sources.register("graduate", person_graduate_events)
