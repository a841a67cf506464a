"""Pages that name no icon (the Django admin's) make browsers ask for /favicon.ico."""


def test_favicon_ico_leads_to_our_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("/static/img/icon.svg")
