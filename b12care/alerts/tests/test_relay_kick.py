"""The relay kick after a commit: one per transaction, and it never holds the response."""

import threading
import time

import pytest
from django.db import transaction

from b12care.alerts import lifecycle, relay
from b12care.alerts.models import Alert
from b12care.alerts.rules import Finding

from .conftest import NOW

pytestmark = pytest.mark.django_db

REAL_KICK = relay.relay_kick  # conftest replaces it with a counter for every test


def finding(i: int) -> Finding:
    return Finding("neuro_worsening", "urgent", f"neuro_worsening:{i}",
                   "Contact your clinician today.", f"Score {i} rose")


def test_one_transaction_raising_200_alerts_queues_one_kick(patient, _no_broker_kicks,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for i in range(200):
            lifecycle.findings_record(patient=patient, findings=[finding(i)], now=NOW)
    assert Alert.objects.count() == 200
    assert len(callbacks) == 1
    assert _no_broker_kicks == [1]


@pytest.mark.django_db(transaction=True)
def test_each_transaction_gets_its_own_kick(patient, _no_broker_kicks):
    for i in range(3):
        with transaction.atomic():
            lifecycle.findings_record(patient=patient, findings=[finding(i)], now=NOW)
    assert _no_broker_kicks == [1, 1, 1]


def test_a_rolled_back_savepoint_does_not_swallow_the_kick_of_a_later_alert(
        patient, _no_broker_kicks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            lifecycle.findings_record(patient=patient, findings=[finding(1)], now=NOW)
            raise RuntimeError("this part failed")
        lifecycle.findings_record(patient=patient, findings=[finding(2)], now=NOW)
    assert _no_broker_kicks == [1]


@pytest.fixture
def hung_broker(monkeypatch):
    """The real kick, publishing into a broker that answers nothing for 3 s."""
    monkeypatch.setattr(relay, "relay_kick", REAL_KICK)
    published = threading.Event()

    def publish():
        time.sleep(3)
        published.set()

    monkeypatch.setattr(relay, "publish", publish)
    return published


def test_a_hung_broker_does_not_hold_the_saving_request(patient, hung_broker,
                                                        django_capture_on_commit_callbacks):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.findings_record(patient=patient, findings=[finding(1)], now=NOW)
    lifecycle_and_kick = time.monotonic() - started
    kick_started = time.monotonic()
    relay.relay_kick()  # a second kick while the first is still publishing
    assert time.monotonic() - kick_started < 0.1
    assert lifecycle_and_kick < 2  # the 3 s publish happened elsewhere
    assert hung_broker.wait(10)  # and it did happen, in the background
