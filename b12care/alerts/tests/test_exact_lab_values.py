"""A lab value is compared as typed (converted exactly), through the service a form calls: the
rule and the page badge agree at the boundary."""

import datetime as dt

import pytest

from injections.models import Regimen
from labs.models import Analyte
from labs.services import result_record

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)



@pytest.mark.django_db
def test_a_potassium_typed_as_3_45_alerts_and_shows_as_typed(patient, clinician):
    Regimen.objects.create(patient=patient, name="Induction",
                           start_date=NOW.date() - dt.timedelta(days=2))
    recorded = result_record(patient=patient, analyte=Analyte.objects.get(key="potassium"),
                             sampled_on=NOW.date(), sampled_time=dt.time(8, 0), value="3.45",
                             unit="mmol/L", by=clinician, now=NOW)
    assert [f.rule for f in recorded.findings] == ["potassium_low"]
    assert "Potassium 3.45 mmol/L" in recorded.findings[0].clinician_message
    result = recorded.result
    result.refresh_from_db()
    assert (result.display_value, result.flag_label) == ("3.45 mmol/L", "Low")


@pytest.mark.django_db
@pytest.mark.parametrize("entered, unit, badge, alerts", [
    ("80", "g/L", "Low", False), ("79.9", "g/L", "Critically low", True),
    ("8.0", "g/dL", "Low", False), ("7.99", "g/dL", "Critically low", True),
])
def test_an_hb_at_the_critical_limit_gets_the_badge_exactly_when_the_rule_fires(
    patient, clinician, entered, unit, badge, alerts
):
    recorded = result_record(patient=patient, analyte=Analyte.objects.get(key="hb"),
                             sampled_on=NOW.date(), sampled_time=dt.time(8, 0), value=entered,
                             unit=unit, by=clinician, now=NOW)
    assert recorded.result.flag_label == badge
    assert ("hb_critical" in [f.rule for f in recorded.findings]) is alerts
