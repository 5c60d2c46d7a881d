from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dpf.accounts"
    label = "accounts"
    verbose_name = "Accounts"
