"""Fields a caller may not set (author, organisation, reviewer, review state,
publication date, the commitment's current status and progress, version,
provenance of evidence) through every write path a person or a partner has:

- the admin's add and change forms (the service-owned fields are not in the
  form: whatever is posted for them is ignored and the row shows the value the
  server decided);
- the partner API's submissions endpoint (refused: 400, "Unknown field.", and
  nothing is created);
- the spreadsheet import, CSV and XLSX (columns that are not editable are
  ignored; the stored rows show the server's values).

The services themselves refuse such fields (tests/test_security_permissions.py).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.security_support import staff_login
from tracker.models import Assessment, Commitment, Evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    org_a, org_b = factories.make_organisation(), factories.make_organisation()
    return {
        "editor": factories.make_editor(organisation=org_a),
        "intruder": factories.make_editor(organisation=org_b),
        "reviewer": factories.make_reviewer(organisation=org_b),
        "org_a": org_a,
        "org_b": org_b,
    }


def form_data(response) -> dict:
    """The values an admin add/change page would post back unchanged: every
    field of the main form and of every inline formset, with its management form."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms += list(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if value in (None, "") or field.disabled:
                continue
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, (list, tuple)):
                data[key] = [str(getattr(v, "pk", v)) for v in value]
            else:
                data[key] = str(getattr(value, "pk", value))
    return data


def admin_post(client, url: str, extra: dict, fill: dict | None = None):
    page = client.get(url)
    assert page.status_code == 200, url
    data = form_data(page) | (fill or {}) | extra
    response = client.post(url, data)
    form = (
        response.context["adminform"].form if response.context and "adminform" in response.context else None
    )
    assert response.status_code == 302, form.errors if form is not None else response
    return response


# --- The admin's forms ----------------------------------------------------------------------


def test_commitment_change_form_ignores_status_progress_and_version(people):
    editor = people["editor"]
    commitment = factories.make_commitment(actor=editor)
    before = Commitment.objects.values("current_status", "current_progress", "status_as_of", "version").get(
        pk=commitment.pk
    )
    client = staff_login(Client(), editor)
    admin_post(
        client,
        f"/admin/tracker/commitment/{commitment.pk}/change/",
        {
            "title_en": "Edited",
            "current_status": "completed",
            "current_progress": "100",
            "status_as_of": "2020-01-01",
            "version": "99",
            "search_document": "planted",
        },
    )
    after = Commitment.objects.get(pk=commitment.pk)
    assert after.title_en == "Edited"  # the form really saved
    assert (after.current_status, after.current_progress, after.status_as_of) == (
        before["current_status"],
        before["current_progress"],
        before["status_as_of"],
    )
    assert after.version == before["version"] + 1
    assert "planted" not in after.search_document


def test_evidence_forms_ignore_provenance(people):
    editor, intruder = people["editor"], people["intruder"]
    commitment = factories.make_commitment(actor=editor)
    client = staff_login(Client(), editor)
    forged = {
        "added_by": str(intruder.pk),
        "organisation": str(people["org_b"].pk),
        "file_sha256": "0" * 64,
        "version": "99",
    }
    admin_post(
        client,
        f"/admin/tracker/evidence/add/?commitment={commitment.pk}",
        forged,
        fill={
            "commitment": str(commitment.pk),
            "kind": "news_report",
            "publisher": "P",
            "title": "ADDED",
            "published_on": "2024-01-01",
        },
    )
    added = Evidence.objects.get(title="ADDED")
    assert (added.added_by, added.organisation, added.file_sha256, added.version) == (
        editor,
        people["org_a"],
        "",
        1,
    )
    admin_post(client, f"/admin/tracker/evidence/{added.pk}/change/", forged | {"title": "CHANGED"})
    added.refresh_from_db()
    assert (added.title, added.added_by, added.organisation, added.file_sha256, added.version) == (
        "CHANGED",
        editor,
        people["org_a"],
        "",
        2,
    )


def test_assessment_forms_ignore_author_organisation_and_review_fields(people):
    editor, intruder, reviewer = people["editor"], people["intruder"], people["reviewer"]
    commitment = factories.make_commitment(actor=editor)
    evidence = factories.make_evidence(commitment, actor=editor)
    client = staff_login(Client(), editor)
    forged = {
        "author": str(intruder.pk),
        "organisation": str(people["org_b"].pk),
        "reviewer": str(reviewer.pk),
        "review_state": "published",
        "review_comment": "approved",
        "submitted_at": "2024-01-01 00:00:00",
        "published_at": "2024-01-01 00:00:00",
        "methodology_version": "0",
    }
    admin_post(
        client,
        f"/admin/tracker/assessment/add/?commitment={commitment.pk}",
        forged,
        fill={
            "commitment": str(commitment.pk),
            "status": "completed",
            "progress": "100",
            "as_of": "2024-06-01",
            "summary_fr": "AJOUT",
            "summary_en": "ADDED",
            "evidence": [str(evidence.pk)],
        },
    )
    added = Assessment.objects.get(summary_en="ADDED")
    expected = (editor, people["org_a"], None, "draft", "", None, None)

    def state(a):
        a.refresh_from_db()
        return (
            a.author,
            a.organisation,
            a.reviewer,
            a.review_state,
            a.review_comment,
            a.submitted_at,
            a.published_at,
        )

    assert state(added) == expected
    assert added.methodology_version != "0"
    admin_post(client, f"/admin/tracker/assessment/{added.pk}/change/", forged | {"summary_en": "CHANGED"})
    assert state(added) == expected and added.summary_en == "CHANGED"
    commitment.refresh_from_db()
    assert commitment.current_status == "not_started"  # nothing reached the public record


# --- The partner API ------------------------------------------------------------------------


SUBMISSION = {
    "assessment": {"status": "in_progress", "as_of": "2024-07-01", "summary_fr": "Proposé"},
    "evidence": [{"kind": "news_report", "publisher": "Partenaire", "title": "Article"}],
}
API_FORBIDDEN = [
    (None, "review_state", "published"),
    (None, "author", 1),
    (None, "organisation", 1),
    (None, "current_status", "completed"),
    ("assessment", "review_state", "published"),
    ("assessment", "author", 1),
    ("assessment", "reviewer", 1),
    ("assessment", "organisation", 1),
    ("assessment", "published_at", "2024-01-01T00:00:00Z"),
    ("assessment", "submitted_at", "2024-01-01T00:00:00Z"),
    ("assessment", "review_comment", "approved"),
    ("assessment", "methodology_version", "0"),
    ("assessment", "current_status", "completed"),
    ("assessment", "current_progress", 100),
    ("evidence", "added_by", 1),
    ("evidence", "organisation", 1),
    ("evidence", "file_sha256", "0" * 64),
    ("evidence", "commitment", "OTHER"),
    ("evidence", "version", 9),
]


@pytest.mark.parametrize(("where", "field", "value"), API_FORBIDDEN)
def test_api_submission_refuses_fields_the_partner_may_not_set(people, where, field, value):
    commitment = factories.make_commitment(actor=people["editor"])
    _key, raw = factories.make_api_key(scope="submit")
    client = Client(headers={"Authorization": f"Api-Key {raw}", "Accept-Language": "en"})
    body = json.loads(json.dumps(SUBMISSION)) | {"commitment": commitment.reference}
    target = body if where is None else body[where] if where == "assessment" else body[where][0]
    target[field] = value
    counts = (Assessment.objects.count(), Evidence.objects.count())

    response = client.post("/api/v1/submissions/", body, content_type="application/json")

    assert response.status_code == 400, response.content
    errors = response.json()
    text = json.dumps(errors)
    assert field in text and "Unknown field." in text, errors
    assert (Assessment.objects.count(), Evidence.objects.count()) == counts

    # Without the forbidden field the same submission goes through (the test can pass only
    # because of that field), and the server decides the workflow fields.
    del target[field]
    response = client.post("/api/v1/submissions/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    created = Assessment.objects.get(pk=response.json()["id"])
    assert (created.review_state, created.reviewer, created.published_at) == ("submitted", None, None)
    assert created.organisation == _key.organisation


# --- The spreadsheet import -----------------------------------------------------------------


def _upload(rows: list[dict], fmt: str) -> tuple[SimpleUploadedFile, int]:
    data = tablib.Dataset(headers=list(rows[0]))
    for row in rows:
        data.append(list(row.values()))
    if fmt == "csv":
        return SimpleUploadedFile("rows.csv", data.export("csv").encode(), content_type="text/csv"), 0
    return SimpleUploadedFile("rows.xlsx", data.export("xlsx")), 1


def _import(client, model: str, rows: list[dict], fmt: str):
    upload, format_index = _upload(rows, fmt)
    response = client.post(
        f"/admin/tracker/{model}/import/", {"resource": 0, "format": format_index, "import_file": upload}
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), [
        (row.number, row.error_dict) for row in result.invalid_rows
    ]
    data = dict(response.context["confirm_form"].initial)
    applied = client.post(f"/admin/tracker/{model}/process_import/", data)
    assert applied.status_code == 302
    return result


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_ignores_columns_that_are_not_editable(people, fmt):
    editor, intruder = people["editor"], people["intruder"]
    existing = factories.make_commitment(actor=editor)
    client = staff_login(Client(), editor)
    forged_commitment = {
        "current_status": "completed",
        "current_progress": "100",
        "status_as_of": "2020-01-01",
        "search_document": "planted",
        "author": str(intruder.pk),
        "organisation": str(people["org_b"].pk),
    }
    _import(
        client,
        "commitment",
        [
            {
                "reference": "IMP-1",
                "framework": existing.framework.code,
                "pillar": existing.pillar.slug,
                "title_fr": "Importé",
                "lead_institution": existing.responsibilities.get(role="lead").institution.slug,
                **forged_commitment,
            }
        ],
        fmt,
    )
    created = Commitment.objects.get(reference="IMP-1")
    assert (created.current_status, created.current_progress, created.status_as_of) == (
        "not_started",
        0,
        None,
    )
    assert "planted" not in created.search_document
    assert created.history.get().history_user == editor

    _import(
        client,
        "evidence",
        [
            {
                "key": "imp-ev-1",
                "commitment": existing.reference,
                "kind": "news_report",
                "publisher": "P",
                "title": "Imported",
                "added_by": str(intruder.pk),
                "organisation": str(people["org_b"].pk),
                "file_sha256": "0" * 64,
                "file": "evidence/planted.pdf",
                "version": "",
            }
        ],
        fmt,
    )
    evidence = Evidence.objects.get(key="imp-ev-1")
    assert (evidence.added_by, evidence.organisation, evidence.file_sha256, evidence.file.name) == (
        editor,
        people["org_a"],
        "",
        "",
    )
    assert timezone.now() - evidence.created_at < dt.timedelta(minutes=5)
