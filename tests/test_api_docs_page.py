"""The Swagger UI page (/api/docs/) obeys the site's CSP (no inline style or
script) and tells readers without JavaScript where the schema is."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_no_inline_style_or_script_and_a_way_in_without_javascript(client):
    response = client.get("/api/docs/", HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<style" not in html and " style=" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs for attrs in scripts)
    assert "style-src" in response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    noscript = re.search(r"<noscript>(.*?)</noscript>", html, re.S).group(1)
    assert 'href="/api/schema/?format=json"' in noscript and "JavaScript" in noscript
    assert "/static/tracker/swagger." in html and finders.find("tracker/swagger.css")
