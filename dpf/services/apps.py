from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "dpf.services"
    label = "services"
    verbose_name = "Services"

    def ready(self) -> None:
        # Institution staff accounts belong to an institution (dpf.accounts.organisations).
        from dpf.accounts import organisations
        from dpf.core.roles import Role
        from dpf.services.models import Institution

        def find(code: str) -> organisations.Organisation | None:
            row = Institution.objects.filter(code=code).first()
            return organisations.Organisation(row.code, row.name, row.county_code) if row else None

        def within(prefix: str) -> list[organisations.Organisation]:
            rows = Institution.objects.filter(county_code__startswith=prefix).order_by("name")
            return [organisations.Organisation(r.code, r.name, r.county_code) for r in rows]

        organisations.register(Role.INSTITUTION_STAFF, find=find, within=within)

        # The services a person received, on the registry's person timeline.
        from dpf.registry import timeline_sources
        from dpf.services.timeline import person_service_events

        timeline_sources.register("services", person_service_events)

        # A committed school roster's leavers go on the not-enrolled follow-up list.
        from dpf.exchange import commit_hooks
        from dpf.exchange.rostertypes import Target
        from dpf.services.school_roster import roster_committed

        commit_hooks.register(Target.SCHOOL, "not_enrolled", roster_committed)
