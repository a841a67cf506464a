"""Password rules beyond Django's validators (settings.AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .models import Role


class StaffMinimumLengthValidator:
    """Clinicians and admins open many patients' records: their passwords are longer."""

    def __init__(self, min_length: int = 12) -> None:
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        if not _is_staff(user) or len(password) >= self.min_length:
            return
        raise ValidationError(
            "Clinicians and administrators need a password of at least %(min_length)d "
            "characters.",
            code="password_too_short",
            params={"min_length": self.min_length},
        )

    def get_help_text(self) -> str:
        return (f"Clinicians and administrators: at least {self.min_length} characters.")


def _is_staff(user) -> bool:
    return user is not None and (
        getattr(user, "role", None) in (Role.CLINICIAN, Role.ADMIN)
        or getattr(user, "is_staff", False)
    )
