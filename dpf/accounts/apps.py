from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dpf.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from dpf.accounts import signals

        signals.connect()
