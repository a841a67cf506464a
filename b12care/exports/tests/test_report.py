"""The doctor's report: HTML for print and a PDF by headless Chromium, read back as text."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from b12care.accounts.models import AccessLog

from .conftest import NOW

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"


def needs_pdf_tools():
    """Chromium prints, poppler-utils reads back; CI (B12_REQUIRE_BROWSER=1) must have both."""
    missing = [tool for tool in (settings.CHROMIUM_PATH, "pdftotext", "pdftoppm")
               if shutil.which(tool) is None]
    if missing and os.environ.get("B12_REQUIRE_BROWSER") != "1":
        pytest.skip(f"not installed: {', '.join(missing)} (apt-get install chromium poppler-utils)")


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@time_machine.travel(NOW, tick=False)
def test_the_patients_report_shows_plan_adherence_injections_charts_and_alerts(client, treated):
    client.force_login(treated.user)
    response = client.get("/exports/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pat Lee" in html and "4 May 1970" in html
    assert "24 May 2026 to 24 Nov 2026" in html  # the default: the last six months
    assert "1 mg hydroxocobalamin Mon, Wed and Fri every week, 6 doses, at 09:00" in html
    assert len(response.context["injections"]) == 6
    for text in ("LOT-01", "LOT-06", "Mon 1 Jun 2026 09:05", "A carer or family member",
                 "Right upper arm (deltoid)", "pain 3/10, Redness"):
        assert text in html
    adherence = response.context["adherence"][0]
    assert (adherence.on_time, adherence.due) == (5, 6)
    assert html.count('<svg class="trend-chart"') == 2 + 2  # tiredness, numbness; Hb, B12
    assert "Recorded as 0 (none) throughout: Low mood." in html
    assert 'class="chart-band"' in html
    assert "New or rapidly worsening neurological symptoms" in html  # open
    assert "Haemoglobin critically low" in html  # resolved in the period
    assert "<script" not in html.split("</main>")[0]


@time_machine.travel(NOW, tick=False)
def test_the_report_names_nobody_but_the_patient(client, treated, outsider_patient):
    client.force_login(treated.user)
    html = client.get("/exports/report/").content.decode()
    for other in ("Jones", "dr.jones@example.org", "Olive", "outsider@example.org"):
        assert other not in html


@time_machine.travel(NOW, tick=False)
def test_a_chosen_period_narrows_the_report(client, treated):
    client.force_login(treated.user)
    response = client.get("/exports/report/", {"start": "2026-06-06", "end": "2026-06-30"})
    assert "6 Jun 2026 to 30 Jun 2026" in response.content.decode()
    # Dose 5 was given late, on the evening after dose 6: the table is in time order.
    assert [r.injection.lot_number for r in response.context["injections"]] == [
        "LOT-04", "LOT-06", "LOT-05"]
    backwards = client.get("/exports/report/", {"start": "2026-06-30", "end": "2026-06-01"})
    assert "must come before its end" in backwards.content.decode()
    assert len(backwards.context["injections"]) == 6  # fell back to the last six months


@time_machine.travel(NOW, tick=False)
def test_a_clinician_opens_their_patients_report_and_the_read_is_logged(
    clinician_client, clinician, treated
):
    response = clinician_client.get(f"/exports/patients/{treated.pk}/report/")
    assert response.status_code == 200
    assert AccessLog.objects.filter(user=clinician, patient=treated,
                                    action="exports.report").count() == 1


def test_others_get_404_for_the_report(client, treated, outsider_clinician, clinician):
    client.force_login(outsider_clinician)
    for url in ("report/", "report.pdf", ""):
        assert client.get(f"/exports/patients/{treated.pk}/{url}").status_code == 404
    client.force_login(clinician)
    assert client.get("/exports/report/").status_code == 404  # a clinician has no own report
    client.force_login(treated.user)
    assert client.get(f"/exports/patients/{treated.pk}/report/").status_code == 404
    client.logout()
    assert client.get("/exports/report.pdf").status_code == 302  # to sign in


def test_without_chromium_the_pdf_link_explains_and_points_to_the_printable_page(
    client, treated, settings
):
    settings.CHROMIUM_PATH = "/nonexistent/chromium"
    client.force_login(treated.user)
    response = client.get("/exports/report.pdf")
    assert response.status_code == 503
    assert 'href="/exports/report/"' in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_pdf_contains_the_patient_and_the_rows_and_renders_a_page(client, treated, tmp_path):
    needs_pdf_tools()
    client.force_login(treated.user)
    response = client.get("/exports/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    for expected in ("Vitamin B12 treatment report", "Pat Lee", "4 May 1970", "LOT-01",
                     "LOT-06", "Right upper arm", "Haemoglobin", "Tiredness",
                     "New or rapidly worsening neurological symptoms", "Page 1 of"):
        assert expected in text
    assert "Jones" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1",
                    str(tmp_path / "report.pdf"), str(ARTIFACTS / "report-page")], check=True)
    page = next(ARTIFACTS.glob("report-page*.png"))
    assert page.stat().st_size > 10_000  # a page with text and tables, not a blank one


@time_machine.travel(NOW, tick=False)
def test_a_clinician_downloads_the_pdf_and_the_download_is_logged(
    clinician_client, clinician, treated, tmp_path
):
    needs_pdf_tools()
    response = clinician_client.get(f"/exports/patients/{treated.pk}/report.pdf",
                                    {"start": "2026-06-01", "end": "2026-06-04"})
    text = pdf_text(response.content, tmp_path)
    assert "LOT-02" in text and "LOT-03" not in text
    assert AccessLog.objects.filter(user=clinician, action="exports.report_pdf").count() == 1


@time_machine.travel(NOW, tick=False)
def test_the_report_reads_a_fixed_number_of_queries(client, treated, django_assert_num_queries):
    client.force_login(treated.user)
    # session, user, profile, regimens + phases, injections, labs, scores, alerts, doses
    with django_assert_num_queries(10):
        client.get("/exports/report/")


@time_machine.travel(NOW, tick=False)
def test_a_patient_with_nothing_recorded_gets_an_empty_but_complete_report(patient_client):
    response = patient_client.get("/exports/report/")
    html = response.content.decode()
    for text in ("No treatment plan recorded.", "No injections recorded in this period.",
                 "No diary entries in this period.", "No blood test results in this period.",
                 "No open alerts.", "not recorded"):
        assert text in html
