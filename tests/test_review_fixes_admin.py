"""The admin: accent-insensitive commitment search (the public search), French
wording of history reasons, verbose names and titles."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tracker import services
from tracker.models import Evidence

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def segou_record():
    editor = f.make_editor()
    # Every title given: the factory's default English title carries a running
    # number ("Commitment 13"), which "a-3" would match by its "3".
    f.make_commitment(actor=editor, reference="A-1", title_fr="Police à Ségou", title_en="Police in Segou")
    f.make_commitment(actor=editor, reference="A-2", title_fr="Gendarmerie", title_en="SEGOU gendarmerie")
    f.make_commitment(
        actor=editor,
        reference="A-3",
        title_fr="Douanes",
        title_en="Customs",
        description_fr="Poste de Ségou.",
    )
    f.make_commitment(actor=editor, reference="B-1", title_fr="Mopti", title_en="Mopti")
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


# --- French wording -------------------------------------------------------------------------------


def french_get(client, url):
    with translation.override("fr"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
        html = response.content.decode()
    assert response.status_code == 200
    return response, html


def test_history_reasons_are_shown_in_french(client):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    commitment = f.make_commitment(actor=editor)
    services.commitment_update(actor=editor, commitment=commitment, expected_version=1, title_en="Renamed")
    f.make_published_assessment(commitment, reviewer=reviewer)
    reasons = list(commitment.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == ["created", "updated", "status refreshed from the latest published assessment"]
    f.login_staff(client, editor)
    response, html = french_get(
        client, reverse("admin:tracker_commitment_history_diff", args=[commitment.pk])
    )
    assert [e["reason"] for e in response.context["entries"]] == [
        "statut mis à jour d’après la dernière évaluation publiée",
        "modifié",
        "créé",
    ]
    _response, html = french_get(client, reverse("admin:tracker_commitment_history", args=[commitment.pk]))
    assert "statut mis à jour d’après la dernière évaluation publiée" in html
    assert "status refreshed" not in html
    # The stored rows are unchanged (stable codes).
    assert commitment.history.filter(history_change_reason="updated").count() == 1


def test_admin_index_in_french_uses_the_plural_and_reads_naturally(client):
    f.login_staff(client, f.make_user("Administrators"))
    _response, html = french_get(client, reverse("admin:index"))
    assert ">Preuves<" in html
    assert "Le registre" in html
    assert "Fiche" not in html
    assert Evidence._meta.verbose_name_plural == "evidence"  # English unchanged, no migration


@pytest.mark.parametrize(
    "model, title",
    [
        ("assessment", "Nouvelle évaluation"),
        ("commitment", "Nouvel engagement"),
        ("indicator", "Nouvel indicateur"),
    ],
)
def test_add_pages_have_french_titles_without_broken_elision(client, model, title):
    f.login_staff(client, f.make_user("Administrators"))
    _response, html = french_get(client, reverse(f"admin:tracker_{model}_add"))
    assert f"<h1>{title}</h1>" in html
    assert "Ajout de " not in html


def test_add_page_title_in_english(client):
    f.login_staff(client, f.make_editor())
    response = client.get(reverse("admin:tracker_assessment_add"))
    assert "<h1>New assessment</h1>" in response.content.decode()


def test_assessment_is_named_by_its_commitment_reference_status_and_date():
    commitment = f.make_commitment(reference="PSIRC-2017-01")
    assessment = f.make_assessment(commitment, status="initiated", as_of=dt.date(2024, 11, 20))
    assert str(assessment) == "PSIRC-2017-01 · Initiated · 20 November 2024"
    with translation.override("fr"):
        assert str(assessment) == "PSIRC-2017-01 · Amorcé · 20 novembre 2024"
    assessment.as_of_precision = "month"
    assert str(assessment) == "PSIRC-2017-01 · Initiated · November 2024"


def test_change_and_list_pages_have_french_titles_without_broken_elision(client):
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor, reference="PSIRC-2017-01")
    assessment = f.make_assessment(commitment, author=editor, status="initiated", as_of=dt.date(2024, 11, 20))
    f.login_staff(client, editor)
    _response, html = french_get(client, reverse("admin:tracker_assessment_change", args=[assessment.pk]))
    assert "<h1>Évaluation</h1>" in html
    assert "<h2>PSIRC-2017-01 · Amorcé · 20 novembre 2024</h2>" in html
    assert "Modification de " not in html and "Affichage de " not in html
    _response, html = french_get(client, reverse("admin:tracker_evidence_changelist"))
    assert "<h1>Preuves</h1>" in html
    assert "Sélectionnez l’objet" not in html


def _returned_assessment():
    editor, reviewer = f.make_editor(), f.make_reviewer()
    commitment = f.make_commitment(actor=editor)
    evidence = f.make_evidence(commitment, actor=editor)
    assessment = f.make_assessment(commitment, author=editor, evidence=[evidence])
    services.assessment_submit(actor=editor, assessment=assessment)
    services.assessment_return(actor=reviewer, assessment=assessment, comment="Citez le décret.")
    return editor, assessment


def test_review_box_puts_the_colon_inside_the_translated_strings(client):
    editor, assessment = _returned_assessment()
    f.login_staff(client, editor)
    html = client.get(reverse("admin:tracker_assessment_change", args=[assessment.pk])).content.decode()
    assert "Review state: <strong>returned to author</strong>" in html
    assert "Reviewer's comment: Citez le décret." in html


def test_review_box_in_french_has_a_space_before_the_colon(client, settings):
    """Needs the French of /tmp/edit/fr.po merged into the catalogue."""
    settings.LANGUAGE_CODE = "fr"
    editor, assessment = _returned_assessment()
    f.login_staff(client, editor)
    with translation.override("fr"):
        response = client.get(
            reverse("admin:tracker_assessment_change", args=[assessment.pk]), HTTP_ACCEPT_LANGUAGE="fr"
        )
    html = response.content.decode()
    assert "État de relecture\u00a0: <strong>renvoyée à l’auteur</strong>" in html
    assert "Commentaire du relecteur\u00a0: Citez le décret." in html


@pytest.mark.parametrize(
    ("model", "label"), [("commitment", "Nouvel engagement"), ("evidence", "Nouvelle preuve")]
)
def test_list_pages_add_button_reads_naturally_in_french(client, settings, model, label):
    settings.LANGUAGE_CODE = "fr"
    f.login_staff(client, f.make_editor())
    with translation.override("fr"):
        response = client.get(reverse(f"admin:tracker_{model}_changelist"), HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert label in html
    assert "Ajouter engagement" not in html and "Ajouter preuve" not in html


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the six-digit code of your authenticator app, or one of your recovery codes."),
        ("000000", "This code is not valid: type the six digits your authenticator app shows now"),
    ],
)
def test_login_errors_speak_of_the_code_not_an_otp_token(client, code, message):
    editor = f.make_editor(username="coded-editor")
    editor.set_password("a-long-uncommon-passphrase")
    editor.save()
    f.make_totp_device(editor)
    response = client.post(
        reverse("admin:login"),
        {"username": "coded-editor", "password": "a-long-uncommon-passphrase", "otp_token": code},
    )
    html = response.content.decode()
    assert message in html
    assert "OTP token" not in html and "Invalid token" not in html
