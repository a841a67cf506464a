"""Per-row work and keyset batches over large querysets (b12care/core/batches.py)."""

import pytest

from b12care.accounts.models import User
from b12care.accounts.tests.factories import UserFactory
from b12care.core import batches

pytestmark = pytest.mark.django_db


def test_pk_batches_cover_every_row_once_in_order_even_when_rows_are_added_meanwhile():
    users = [UserFactory() for _ in range(7)]
    seen = []
    for batch in batches.pk_batches(User.objects.all(), batch_size=3):
        assert len(batch) <= 3
        seen += batch
        if len(seen) == 3:
            users.append(UserFactory())  # a row added mid-run is reached, not skipped
    assert seen == sorted(u.pk for u in users)


def test_pk_batches_of_nothing_yield_nothing():
    assert list(batches.pk_batches(User.objects.none(), batch_size=3)) == []


def test_one_failing_row_is_logged_and_does_not_stop_or_undo_the_others(caplog):
    users = [UserFactory(first_name="a") for _ in range(4)]

    def rename(user):
        user.first_name = "b"
        user.save(update_fields=["first_name"])
        if user.pk == users[1].pk:
            raise RuntimeError("boom")

    tried = batches.each_in_own_transaction(User.objects.all(), rename, what="rename",
                                            batch_size=2)
    assert tried == 4
    names = dict(User.objects.values_list("pk", "first_name"))
    assert [names[u.pk] for u in users] == ["b", "a", "b", "b"]
    assert "rename failed for User" in caplog.text
