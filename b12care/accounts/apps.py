from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "b12care.accounts"
    label = "accounts"
    verbose_name = "Accounts and care teams"

    def ready(self) -> None:
        from allauth.account import signals as account_signals
        from django.contrib.auth import signals as auth_signals
        from django.db.models.signals import post_save

        from . import receivers
        from .models import User

        auth_signals.user_logged_in.connect(receivers.on_user_logged_in,
                                            dispatch_uid="b12_session_start")
        account_signals.authentication_step_completed.connect(
            receivers.on_authentication_step, dispatch_uid="b12_authentication_step")
        for signal in (account_signals.password_changed, account_signals.password_set):
            signal.connect(receivers.on_password_changed, dispatch_uid="b12_password_changed")
        account_signals.password_reset.connect(receivers.on_password_reset,
                                               dispatch_uid="b12_password_reset")
        post_save.connect(receivers.on_user_saved, sender=User, dispatch_uid="b12_user_saved")
