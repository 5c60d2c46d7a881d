from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "dpf.portal"
    label = "portal"
    verbose_name = "Citizens' portal"

    def ready(self) -> None:
        from dpf.accounts.scoping import register_self_scope
        from dpf.portal.selectors import resolve_self_scope

        register_self_scope(resolve_self_scope)
