"""Demo data of this app for `manage.py seed_demo` (idempotent). Filled in as the app grows."""


def seed(*, patients, clinicians, now) -> None:
    return None
