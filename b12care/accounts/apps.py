from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "b12care.accounts"
    label = "accounts"
    verbose_name = "Accounts and care teams"

    def ready(self) -> None:
        from allauth.account import signals as account_signals
        from allauth.mfa import signals as mfa_signals
        from django.contrib.auth import signals as auth_signals
        from django.db.models.signals import post_save
        from simple_history.signals import post_create_historical_record

        from b12care.core import reads

        from . import audit, receivers
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

        # The audit log (audit.py): sign-in events, second factors, clinical writes, admin reads.
        auth_signals.user_logged_in.connect(audit.on_signed_in, dispatch_uid="b12_audit_in")
        auth_signals.user_logged_out.connect(audit.on_signed_out, dispatch_uid="b12_audit_out")
        auth_signals.user_login_failed.connect(audit.on_sign_in_failed,
                                               dispatch_uid="b12_audit_failed")
        mfa_signals.authenticator_added.connect(audit.on_authenticator_added,
                                                dispatch_uid="b12_audit_mfa_added")
        mfa_signals.authenticator_removed.connect(audit.on_authenticator_removed,
                                                  dispatch_uid="b12_audit_mfa_removed")
        mfa_signals.authenticator_reset.connect(audit.on_authenticator_reset,
                                                dispatch_uid="b12_audit_mfa_reset")
        post_create_historical_record.connect(audit.on_history_row, dispatch_uid="b12_audit_write")
        reads.listen(audit.on_admin_read)
