from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "dpf.indicators"
    label = "indicators"
    verbose_name = "Indicators"

    def ready(self) -> None:
        from django.core import checks

        from dpf.indicators.disclosure import check_threshold

        checks.register(check_threshold)

        from dpf.indicators.refresh import after_facts_changed
        from dpf.registry.services import on_facts_changed

        # The newest snapshot follows the changes to persons as they commit (issue 21).
        on_facts_changed("indicators.refresh", after_facts_changed)

        from dpf.indicators.specs import (
            register_record_counter,
            register_record_members,
            register_record_persons,
        )
        from dpf.services.counters import RECORD_COUNTERS, RECORD_MEMBERS, RECORD_PERSONS

        for kind, counter in RECORD_COUNTERS.items():
            register_record_counter(kind, counter)
        for kind, persons in RECORD_PERSONS.items():
            register_record_persons(kind, persons)
        for kind, members in RECORD_MEMBERS.items():
            register_record_members(kind, members)

        from dpf.employment import training

        for kind, counter in training.RECORD_COUNTERS.items():
            register_record_counter(kind, counter)
        for kind, persons in training.RECORD_PERSONS.items():
            register_record_persons(kind, persons)

        from dpf.workflow import counters as workflow_counters

        # T0604: benefit items handled online, from the channel of each application.
        for kind, counter in workflow_counters.RECORD_COUNTERS.items():
            register_record_counter(kind, counter)

        from dpf.social import counters as social_counters

        # T0506 and T0507: volunteer teams and registered volunteers on the date.
        for kind, counter in social_counters.RECORD_COUNTERS.items():
            register_record_counter(kind, counter)
