"""The rules read the answers to the questions asked after an injection (injections/
followups.py): a "yes" at the post-dose check-in is the systemic-reaction finding; a "still
sore" at the site follow-up is the site finding when said more than 48 h after the dose."""

import datetime as dt

import pytest

from b12care.alerts import rules
from b12care.alerts.rules import InjectionFact, PatientData

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


def run(code, data):
    spec = rules.REGISTRY[code]
    return spec.func(data, now=NOW, thresholds=dict(spec.defaults))


def injection(taken_at, **answers):
    return PatientData(1, injections=(InjectionFact(
        id=7, taken_at=taken_at, reactions=frozenset(), reported_at=taken_at,
        site="left_deltoid", **answers),))


def test_a_yes_at_the_check_in_is_the_anaphylaxis_finding_of_that_injection():
    [finding] = run("systemic_reaction", injection(NOW - dt.timedelta(minutes=30),
                                                   checkin_reaction=True))
    assert finding.dedup_key == "systemic_reaction:injection:7"
    assert finding.evidence == ("post-dose check-in",)
    assert "Call emergency services now" in finding.patient_message


def test_no_check_in_answer_raises_nothing():
    assert run("systemic_reaction", injection(NOW - dt.timedelta(minutes=30))) == []


@pytest.mark.parametrize("after, fires", [
    (dt.timedelta(hours=48) - SECOND, False), (dt.timedelta(hours=48), False),
    (dt.timedelta(hours=48) + SECOND, True),
])
def test_a_sore_site_answer_counts_only_more_than_48_h_after_the_injection(after, fires):
    taken = NOW - dt.timedelta(days=3)
    findings = run("injection_site_infection", injection(taken, site_sore_at=taken + after))
    assert bool(findings) is fires
    if fires:
        assert findings[0].severity == "review"
        assert "site follow-up" in findings[0].clinician_message


def test_a_sore_site_answer_on_an_injection_older_than_the_lookback_is_not_a_finding():
    taken = NOW - dt.timedelta(days=15)
    data = injection(taken, site_sore_at=NOW)
    assert run("injection_site_infection", data) == []
