"""CSV downloads: re-read with the csv module; BOM, local times, formulas neutralised."""

from __future__ import annotations

import csv
import io

import pytest

from b12care.accounts.models import AccessLog
from b12care.exports.csv_export import neutralise

from .conftest import EVIL_NOTE

pytestmark = pytest.mark.django_db


def read(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf"), "spreadsheet apps need the UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("cell", ["=1+2", "+44 7700", "-3", "@SUM(A1)", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_run_as_formulas_get_a_leading_quote(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["a=b", "Left thigh", "", "9.4", None])
def test_ordinary_cells_are_left_as_they_are(cell):
    assert neutralise(cell) == ("" if cell is None else cell)


def test_the_injections_csv_rereads_with_local_times_the_zone_named_and_the_note_neutralised(
    client, treated
):
    client.force_login(treated.user)
    rows = read(client.get("/exports/injections.csv"))
    header, body = rows[0], rows[1:]
    assert header[0] == "Given at (Europe/London)"
    assert len(body) == 6
    first = dict(zip(header, body[0], strict=True))
    # 08:05 UTC in June is 09:05 in London (summer time).
    assert first["Given at (Europe/London)"] == "2026-06-01 09:05"
    assert first["Batch (lot)"] == "LOT-01"
    assert first["Given by"] == "A nurse or clinic"
    assert first["Planned dose"] == "induction dose 1 of 6"
    second = dict(zip(header, body[1], strict=True))
    assert (second["Pain (0-10)"], second["Reactions at the site"]) == ("3", "Redness")
    notes = [dict(zip(header, row, strict=True))["Notes"] for row in body]
    assert "'" + EVIL_NOTE in notes
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in body for cell in row)


def test_the_diary_csv_has_a_row_per_score_and_the_days_note_once(client, treated):
    client.force_login(treated.user)
    rows = read(client.get("/exports/diary.csv"))
    assert rows[0][:3] == ["Day (Europe/London)", "Saved at (Europe/London)", "Symptom"]
    assert len(rows) == 1 + 5 * 3
    assert rows[1][2:4] == ["Tiredness", "8"]
    assert rows[1][5] == "'@me felt tired"
    assert [r[5] for r in rows[2:4]] == ["", ""]


def test_the_labs_csv_keeps_the_value_as_entered_and_in_the_canonical_unit(client, treated):
    client.force_login(treated.user)
    rows = read(client.get("/exports/labs.csv"))
    header = rows[0]
    b12 = next(dict(zip(header, r, strict=True)) for r in rows[1:] if r[2] == "2132-9")
    assert (b12["Value"], b12["Unit"], b12["As entered"]) == ("149.1", "pg/mL", "110 pmol/L")
    assert (b12["Flag"], b12["Band"]) == ("Low", "Deficiency likely")
    assert b12["Sampled at (Europe/London)"] == "2026-06-01 10:30"


def test_times_follow_the_patients_own_zone(client, treated):
    treated.timezone = "America/New_York"
    treated.save()
    client.force_login(treated.user)
    rows = read(client.get("/exports/injections.csv"))
    assert rows[0][0] == "Given at (America/New_York)"
    assert rows[1][0] == "2026-06-01 04:05"


def test_a_clinician_downloads_their_patients_csv_and_the_read_is_logged(
    clinician_client, clinician, treated
):
    rows = read(clinician_client.get(f"/exports/patients/{treated.pk}/labs.csv"))
    assert len(rows) == 5
    assert AccessLog.objects.filter(user=clinician, patient=treated,
                                    action="exports.csv_labs").count() == 1


def test_an_unknown_kind_of_file_is_404(client, treated):
    client.force_login(treated.user)
    assert client.get("/exports/secrets.csv").status_code == 404


def test_each_csv_reads_a_fixed_number_of_queries(client, treated, django_assert_num_queries):
    client.force_login(treated.user)
    for kind in ("injections", "diary", "labs"):
        with django_assert_num_queries(4):  # session, user, profile, the rows
            client.get(f"/exports/{kind}.csv")
