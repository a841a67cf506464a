"""allauth adapter: B12 Care is a clinical service, so there is no open sign-up.

Patients are invited by their clinician (see services.patient_invite); staff are created by
admins.

Signing out answers with ``Clear-Site-Data: "cache", "cookies", "storage"``
(core.middleware): the browser then forgets every cookie of the site, including the one that
would carry allauth's "You have signed out." message. So that message is not stored; the
redirect to the sign-in page says it in its address (``?signed_out=1``) instead.
"""

from allauth.account.adapter import DefaultAccountAdapter

SIGNED_OUT_PARAM = "signed_out"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def add_message(self, request, level, message_template=None, *args, **kwargs) -> None:
        if message_template == "account/messages/logged_out.txt":
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def get_logout_redirect_url(self, request) -> str:
        url = super().get_logout_redirect_url(request)
        if request.user.is_authenticated:  # asked before signing out: someone is signing out
            url += ("&" if "?" in url else "?") + f"{SIGNED_OUT_PARAM}=1"
        return url
