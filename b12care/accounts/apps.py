from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "b12care.accounts"
    label = "accounts"
    verbose_name = "Accounts and care teams"
