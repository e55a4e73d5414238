"""A measurement's evidence (a foreign key) is named by number in the admin's
history, as an assessment's evidence (many-to-many) is: it may be another
organisation's confidential source, whose title the reader may not see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories as f
from tracker import services
from tracker.models import Evidence
from tracker.services.locking import _display

pytestmark = pytest.mark.django_db

SECRET = "Rapport interne confidentiel de la mission"


@pytest.fixture
def measured(db):
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor)
    indicator = services.indicator_create(actor=editor, commitment=commitment, key="k-1", name_fr="Effectif")
    first = f.make_evidence(commitment, actor=editor, title="Article public")
    secret = f.make_evidence(
        commitment, actor=editor, title=SECRET, visibility=Evidence.Visibility.CONFIDENTIAL
    )
    measurement = services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2024, 1, 1), value=3, evidence=first
    )
    measurement = services.measurement_update(actor=editor, measurement=measurement, evidence=secret)
    return editor, measurement, secret


def test_history_rows_name_the_evidence_by_number(measured):
    _editor, measurement, secret = measured
    newest = measurement.history.order_by("-history_id").first()
    assert _display(newest, "evidence") == f"#{secret.pk}"


def test_admin_history_pages_do_not_show_the_confidential_title(measured):
    _editor, measurement, secret = measured
    client = f.login_staff(Client(HTTP_ACCEPT_LANGUAGE="en"), f.make_editor())  # another organisation
    for name in ("admin:tracker_measurement_history", "admin:tracker_measurement_history_diff"):
        response = client.get(reverse(name, args=[measurement.pk]))
        assert response.status_code == 200, name
        html = response.content.decode()
        assert SECRET not in html, name
        assert f"#{secret.pk}" in html, name
