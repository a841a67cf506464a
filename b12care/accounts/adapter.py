"""allauth adapter: B12 Care is a clinical service, so there is no open sign-up.

Patients are invited by their clinician (see services.patient_invite); staff are created by
admins.
"""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False
