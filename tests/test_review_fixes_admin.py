"""The admin: accent-insensitive commitment search (the public search), French
wording of history reasons, verbose names and titles."""

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def segou_record():
    editor = f.make_editor()
    f.make_commitment(actor=editor, reference="A-1", title_fr="Police à Ségou")
    f.make_commitment(actor=editor, reference="A-2", title_fr="Gendarmerie", title_en="SEGOU gendarmerie")
    f.make_commitment(actor=editor, reference="A-3", title_fr="Douanes", description_fr="Poste de Ségou.")
    f.make_commitment(actor=editor, reference="B-1", title_fr="Mopti")
    return editor


@pytest.mark.parametrize("query", ["segou", "ségou", "SÉGOU"])
def test_admin_commitment_search_ignores_accents_and_case(client, segou_record, query):
    f.login_staff(client, segou_record)
    response = client.get(reverse("admin:tracker_commitment_changelist"), {"q": query})
    assert response.status_code == 200
    rows = sorted(c.reference for c in response.context["cl"].result_list)
    assert rows == ["A-1", "A-2", "A-3"]


def test_admin_commitment_search_by_reference_and_several_words(client, segou_record):
    f.login_staff(client, segou_record)
    url = reverse("admin:tracker_commitment_changelist")
    assert [c.reference for c in client.get(url, {"q": "a-3"}).context["cl"].result_list] == ["A-3"]
    assert [c.reference for c in client.get(url, {"q": "poste segou"}).context["cl"].result_list] == ["A-3"]
    assert len(client.get(url, {"q": ""}).context["cl"].result_list) == 4
