"""/favicon.ico leads to the static icon (browsers ask for it on pages
without a <link rel="icon">: feeds, CSV, the API)."""


def test_favicon_ico_redirects_to_the_static_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert "tracker/favicon" in response["Location"] and response["Location"].endswith(".svg")
