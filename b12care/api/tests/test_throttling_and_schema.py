"""Rate limits, the OpenAPI schema and the docs page (our own static files, no inline script)."""

import re

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from rest_framework.test import APIClient

from .conftest import token_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates}}
    return set_rates


def test_a_user_over_the_rate_gets_429_on_every_device(rates, patient):
    rates(user="3/min")
    phone, tablet = token_client(patient.user, "Phone"), token_client(patient.user, "Tablet")
    assert [phone.get(reverse("api:me")).status_code for _ in range(3)] == [200] * 3
    limited = tablet.get(reverse("api:me"))
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0


def test_users_are_limited_separately(rates, patient, clinician):
    rates(user="2/min")
    patient_api, clinician_api = token_client(patient.user), token_client(clinician)
    for _ in range(2):
        patient_api.get(reverse("api:me"))
    assert patient_api.get(reverse("api:me")).status_code == 429
    assert clinician_api.get(reverse("api:patients")).status_code == 200


def test_anonymous_callers_are_limited_by_address(rates, db):
    rates(anon="2/min")
    client = APIClient()
    assert [client.get(reverse("api:me")).status_code for _ in range(2)] == [401, 401]
    assert client.get(reverse("api:me")).status_code == 429


def test_a_caller_guessing_tokens_is_slowed_down(rates, patient):
    rates(anon="3/min")
    token_client(patient.user)
    guesser = APIClient()
    codes = []
    for n in range(4):
        guesser.credentials(HTTP_AUTHORIZATION=f"Bearer b12_0000000{n}_guess")
        codes.append(guesser.get(reverse("api:me")).status_code)
    assert codes == [401, 401, 401, 429]


def test_creating_device_tokens_has_its_own_tighter_limit(rates, patient):
    rates(devices="2/hour")
    session = APIClient()
    session.force_login(patient.user)
    codes = [session.post(reverse("api:devices"), {"name": f"D{n}"}, format="json").status_code
             for n in range(3)]
    assert codes == [201, 201, 429]
    assert session.get(reverse("api:devices")).status_code == 200


def schema(client) -> dict:
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_openapi_schema_describes_every_endpoint_and_the_token_scheme(client):
    spec = schema(client)
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/me/injections/", "/api/v1/me/checkins/", "/api/v1/me/labs/",
            "/api/v1/me/schedule/", "/api/v1/me/alerts/", "/api/v1/patients/",
            "/api/v1/patients/{patient_id}/alerts/{alert_id}/acknowledge/",
            "/api/v1/devices/"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["deviceToken"] == {
        "type": "http", "scheme": "bearer",
        "description": "A device token from the Devices page: `Bearer b12_...`."}
    create = spec["paths"]["/api/v1/me/injections/"]["post"]["responses"]
    assert {"200", "201", "400", "401", "403", "404", "429"} <= set(create)


def test_an_api_path_that_matches_nothing_answers_404_in_json(patient_api, client):
    response = patient_api.get("/api/v1/me/injections/not-a-number/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_the_schema_is_valid_openapi_and_generates_without_warnings(tmp_path):
    from django.core.management import call_command
    from drf_spectacular.drainage import reset_generator_stats

    reset_generator_stats()  # count only this generation's warnings
    # --fail-on-warn: an endpoint whose types drf-spectacular had to guess fails here.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file",
                 str(tmp_path / "schema.yaml"))


def test_the_docs_page_loads_swagger_ui_from_our_static_files_without_inline_script(client):
    page = client.get(reverse("api:docs")).content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip()
                           for attrs, body in scripts)
    assert "http" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', page))
    for path in ("vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css",
                 "js/api-docs.js"):
        assert f"/static/{path}" in page
        assert finders.find(path), path


def test_drf_spectacular_is_pointed_at_our_own_copy_never_a_cdn():
    assert settings.SPECTACULAR_SETTINGS["SWAGGER_UI_DIST"] == "/static/vendor/swagger-ui"
    assert "cdn" not in str(settings.SPECTACULAR_SETTINGS).lower()
