"""Spreadsheet import/export (issue 6): dry run previews every row, row-level
errors, all-or-nothing apply, exports that import back unchanged; every row
goes through the services."""

import io

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tracker import services
from tracker.admin.imports import CommitmentResource, EvidenceResource, IndicatorResource, InstitutionResource
from tracker.models import Commitment, Evidence

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def record():
    editor = f.make_user("Administrators")
    framework, pillar = f.make_framework(code="lps"), f.make_pillar(slug="police")
    lead, support = f.make_institution(slug="pn"), f.make_institution(slug="mss")
    region = f.make_region(slug="segou")
    commitment = f.make_commitment(
        actor=editor,
        reference="LPS-1",
        framework=framework,
        pillar=pillar,
        lead_institution=lead,
        supporting_institutions=[support],
        regions=[region],
        title_en="Recruit",
    )
    f.make_evidence(commitment, actor=editor, key="ev-1")
    services.indicator_create(
        actor=editor, commitment=commitment, key="recruits", name_fr="Recrues", target_value=2000
    )
    return {"editor": editor, "commitment": commitment}


HEADER = (
    "reference,framework,pillar,parent,title_fr,title_en,description_fr,description_en,provision,"
    "start_date,start_date_precision,due_date,due_date_precision,budget_amount,budget_currency,"
    "wps_marker,lead_institution,supporting_institutions,regions,current_status,version\n"
)


def csv_upload(text, name="commitments.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def admin_import(client, model, upload, fmt=0):
    return client.post(
        reverse(f"admin:tracker_{model}_import"), {"resource": 0, "format": fmt, "import_file": upload}
    )


def confirm(client, model, response):
    data = dict(response.context["confirm_form"].initial)
    return client.post(reverse(f"admin:tracker_{model}_process_import"), data, follow=True)


def test_dry_run_previews_each_row_then_confirm_applies_through_the_services(client, record):
    editor = record["editor"]
    f.login_staff(client, editor)
    text = HEADER + (
        "LPS-2,lps,police,,Former 500 gendarmes,Train 500 gendarmes,,,Art. 4,,day,2026-12-31,day,1000,XOF,1,"
        "pn,mss,segou,completed,\n"
        "LPS-1,lps,police,,Engagement,Recruit 2000,,,,,day,,day,,XOF,0,pn,mss,segou,not_started,1\n"
    )
    response = admin_import(client, "commitment", csv_upload(text))
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["new", "update"]
    assert not Commitment.objects.filter(reference="LPS-2").exists()  # a dry run only
    assert Commitment.objects.get(reference="LPS-1").title_en == "Recruit"

    response = confirm(client, "commitment", response)
    assert response.status_code == 200
    created = Commitment.objects.get(reference="LPS-2")
    assert created.current_status == "not_started"  # the status column is read-only
    assert created.responsibilities.get(role="lead").institution.slug == "pn"
    assert [r.slug for r in created.regions.all()] == ["segou"]
    assert created.history.first().history_user == editor
    updated = Commitment.objects.get(reference="LPS-1")
    assert (updated.title_en, updated.version) == ("Recruit 2000", 2)
    assert updated.history.first().history_user == editor


def test_row_errors_are_shown_and_nothing_is_applied(client, record):
    f.login_staff(client, record["editor"])
    text = HEADER + (
        "LPS-3,lps,police,,Ok,,,,,,day,,day,,XOF,0,pn,,,,\n"
        "LPS-4,nope,police,,Bad framework,,,,,,day,,day,,XOF,0,pn,,,,\n"
        "LPS-5,lps,police,,Bad dates,,,,,2025-01-01,day,2024-01-01,day,,XOF,0,pn,,,,\n"
        "LPS-6,lps,police,,Unknown lead,,,,,,day,,day,,XOF,0,ghost,,,,\n"
    )
    response = admin_import(client, "commitment", csv_upload(text))
    result = response.context["result"]
    assert result.has_validation_errors()
    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert errors[2] == {"framework": ["No framework has the code “nope”."]}
    assert errors[3] == {"__all__": ["The due date cannot be before the start date."]}
    assert errors[4] == {"lead_institution": ["No institution has the code “ghost”."]}
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert not Commitment.objects.filter(reference__in=["LPS-3", "LPS-4", "LPS-5", "LPS-6"]).exists()


def test_apply_is_all_or_nothing(record):
    text = HEADER + (
        "LPS-7,lps,police,,Ok,,,,,,day,,day,,XOF,0,pn,,,,\n"
        "LPS-8,lps,police,,Bad dates,,,,,2025-01-01,day,2024-01-01,day,,XOF,0,pn,,,,\n"
    )
    dataset = tablib.Dataset().load(text, format="csv")
    result = CommitmentResource().import_data(
        dataset,
        dry_run=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
        user=record["editor"],
    )
    assert result.has_validation_errors()
    assert not Commitment.objects.filter(reference="LPS-7").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "resource_class", [CommitmentResource, EvidenceResource, IndicatorResource, InstitutionResource]
)
def test_export_imports_back_unchanged(record, fmt, resource_class):
    model = resource_class._meta.model
    before = [(o.pk, o.version) for o in model.objects.order_by("pk")]
    history_rows = model.history.count()
    exported = resource_class().export().export(fmt)
    data = exported if isinstance(exported, bytes) else exported.encode()
    dataset = tablib.Dataset().load(io.BytesIO(data).read() if fmt == "xlsx" else data.decode(), format=fmt)
    result = resource_class().import_data(
        dataset, dry_run=False, use_transactions=True, user=record["editor"]
    )
    assert not result.has_errors() and not result.has_validation_errors()
    assert {row.import_type for row in result.rows} == {"skip"}
    assert [(o.pk, o.version) for o in model.objects.order_by("pk")] == before
    assert model.history.count() == history_rows


def test_admin_export_csv_and_xlsx(client, record):
    f.login_staff(client, record["editor"])
    url = reverse("admin:tracker_commitment_export")
    form = client.get(url).context["form"]
    columns = {name: "on" for name in form.fields if name.startswith("commitmentresource_")}
    for fmt, content_type in ((0, "text/csv"), (1, "application/vnd.openxmlformats")):
        response = client.post(url, {"format": fmt, "resource": 0, **columns})
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)
        if fmt == 0:
            assert response.content.decode().splitlines()[1].startswith("LPS-1,lps,police,")


def test_a_row_from_a_stale_export_is_refused(record):
    editor = record["editor"]
    exported = CommitmentResource().export()
    services.commitment_update(actor=editor, commitment=record["commitment"], title_en="Changed meanwhile")
    exported.dict = [{**row, "title_en": "From the old file"} for row in exported.dict]
    result = CommitmentResource().import_data(exported, dry_run=True, use_transactions=True, user=editor)
    assert result.has_validation_errors()
    messages = result.invalid_rows[0].error_dict["__all__"]
    assert messages[0].startswith("Someone else saved this commitment while you were editing it")
    assert "Title (English): “Recruit” → “Changed meanwhile”" in messages[1]


def test_imports_need_the_add_permission(client, record):
    editor = f.make_editor()
    f.login_staff(client, editor)
    assert client.get(reverse("admin:tracker_institution_import")).status_code == 403
    assert client.get(reverse("admin:tracker_commitment_import")).status_code == 200


def test_evidence_import_creates_through_the_service(record):
    editor = record["editor"]
    dataset = tablib.Dataset(
        headers=["key", "commitment", "kind", "publisher", "title", "visibility", "version"]
    )
    dataset.append(["ev-2", "LPS-1", "official_text", "Journal officiel", "Décret", "public", ""])
    dataset.append(["ev-3", "NOPE", "official_text", "JO", "Décret", "public", ""])
    result = EvidenceResource().import_data(dataset, dry_run=True, use_transactions=True, user=editor)
    assert result.invalid_rows[0].error_dict == {"commitment": ["No commitment has the code “NOPE”."]}
    dataset = tablib.Dataset(headers=dataset.headers)
    dataset.append(["ev-2", "LPS-1", "official_text", "Journal officiel", "Décret", "public", ""])
    EvidenceResource().import_data(dataset, dry_run=False, use_transactions=True, user=editor)
    evidence = Evidence.objects.get(key="ev-2")
    assert (evidence.added_by, evidence.history.first().history_user) == (editor, editor)
