from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "dpf.portal"
    label = "portal"
    verbose_name = "Citizens' portal"

    def ready(self) -> None:
        from dpf.accounts.scoping import register_own_person, register_self_scope
        from dpf.indicators.specs import register_record_counter
        from dpf.portal.casework import complaints_closed_in_time, complaints_due
        from dpf.portal.messaging import send_to_phone_on_file
        from dpf.portal.selectors import own_person_of, request_person_id, resolve_self_scope
        from dpf.social.legal_aid import register_request_lookup
        from dpf.workflow.services.payees import register_phone_messages

        register_self_scope(resolve_self_scope)
        register_own_person(own_person_of)
        # T0704 (信访事项办结率): first complaints due in the period, and those closed in time.
        register_record_counter("complaint", complaints_due)
        register_record_counter("complaint_closed", complaints_closed_in_time)
        # Payee account changes are told to the person's phone on file.
        register_phone_messages(send_to_phone_on_file)
        # A legal aid referral names the complaint or hotline request it came from.
        register_request_lookup(request_person_id)
