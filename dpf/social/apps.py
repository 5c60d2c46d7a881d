from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "dpf.social"
    label = "social"
    verbose_name = "Social assistance"

    def ready(self) -> None:
        # Volunteer service received, on the registry's person timeline.
        from dpf.registry import timeline_sources
        from dpf.social.timeline import person_legal_aid, person_volunteer_events

        timeline_sources.register("volunteer", person_volunteer_events)
        timeline_sources.register("legal_aid", person_legal_aid)
