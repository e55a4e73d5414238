"""Many-to-many history (issue 6): a commitment's regions and related
commitments are part of its history, whatever the write path (service, admin
form, import, seed), shown as "Mopti → Mopti, Ségou" in the admin diff and in
the public change log, with who and when."""

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests import factories as f
from tests.test_admin_flow import commitment_post
from tests.test_editorial_history import english  # noqa: F401 (autouse: messages in English)
from tracker import services
from tracker.admin.imports import CommitmentResource
from tracker.editorial.selectors import commitment_changelog
from tracker.management.seed import Loader
from tracker.models import Commitment

pytestmark = pytest.mark.django_db


@pytest.fixture
def regions():
    return f.make_region(slug="mopti", name="Mopti"), f.make_region(slug="segou", name="Ségou")


def newest(commitment):
    return commitment.history.order_by("-history_date", "-history_id").first()


def region_names(record):
    return sorted(row.region.name for row in record.regions.select_related("region"))


def test_create_writes_one_history_row_with_its_regions_and_related(regions):
    editor = f.make_editor()
    mopti, _ = regions
    other = f.make_commitment(actor=editor, reference="PAG-1")
    commitment = f.make_commitment(actor=editor, regions=[mopti], related=[other])
    assert commitment.history.count() == 1
    created = newest(commitment)
    assert (created.history_type, created.history_user) == ("+", editor)
    assert region_names(created) == ["Mopti"]
    assert [row.to_commitment.reference for row in created.related.select_related("to_commitment")] == [
        "PAG-1"
    ]


def test_service_update_of_regions_records_who_and_the_new_set(regions):
    editor, colleague = f.make_editor(), f.make_editor()
    mopti, segou = regions
    commitment = f.make_commitment(actor=editor, regions=[mopti])
    services.commitment_update(
        actor=colleague, commitment=commitment, expected_version=1, regions=[mopti, segou]
    )
    assert commitment.history.count() == 2  # one row per save, not one per m2m signal
    record = newest(commitment)
    assert (record.history_user, record.version, region_names(record)) == (colleague, 2, ["Mopti", "Ségou"])


def test_admin_diff_and_public_change_log_show_region_names(client, regions):
    editor, colleague = f.make_editor(), f.make_editor()
    mopti, segou = regions
    commitment = f.make_commitment(actor=editor, regions=[mopti])
    services.commitment_update(actor=colleague, commitment=commitment, regions=[mopti, segou])

    f.login_staff(client, editor)
    response = client.get(reverse("admin:tracker_commitment_history_diff", args=[commitment.pk]))
    latest = response.context["entries"][0]
    assert latest["user"] == colleague.username
    assert {"field": "regions", "old": "Mopti", "new": "Mopti, Ségou"} in latest["changes"]
    assert "Mopti, Ségou" in response.content.decode()

    client.logout()
    response = client.get(reverse("editorial:commitment-changelog", args=[commitment.reference]))
    assert response.status_code == 200
    entry = response.context["entries"][0]
    assert entry["changes"] == [{"field": "regions", "old": "Mopti", "new": "Mopti, Ségou"}]
    page = response.content.decode()
    assert "Mopti, Ségou" in page and colleague.username not in page


def test_public_change_log_shows_related_links_and_public_fields_only():
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor, reference="LPS-3")
    other = f.make_commitment(actor=editor, reference="PAG-3")
    # Version, search document and updated_at change too: not shown.
    services.commitment_update(actor=editor, commitment=commitment, provision="Art. 3", related=[other])
    _, entries = commitment_changelog("LPS-3")
    assert entries[0]["changes"] == [
        {"field": "provision", "old": "—", "new": "Art. 3"},
        {"field": "related commitments", "old": "—", "new": "PAG-3"},
    ]
    # The other side's log shows the link too.
    _, entries = commitment_changelog("PAG-3")
    assert entries[0]["changes"] == [{"field": "related commitments", "old": "—", "new": "LPS-3"}]


def test_related_link_is_recorded_on_both_sides_and_bumps_the_other_version():
    editor, colleague = f.make_editor(), f.make_editor()
    first = f.make_commitment(actor=editor, reference="LPS-1")
    second = f.make_commitment(actor=editor, reference="PAG-2")
    services.commitment_update(actor=colleague, commitment=first, related=[second])
    second.refresh_from_db()
    assert second.version == 2
    other_side = newest(second)
    assert (other_side.history_user, other_side.history_change_reason) == (
        colleague,
        "related commitments changed",
    )
    # An editor who opened the second commitment before the link cannot save
    # an older related list over it: the refusal names the new link.
    with pytest.raises(ValidationError) as refused:
        services.commitment_update(actor=editor, commitment=second, expected_version=1, related=[])
    assert refused.value.code == "stale_version"
    assert "Related commitments: “—” → “LPS-1”" in refused.value.details
    assert list(second.related.values_list("reference", flat=True)) == ["LPS-1"]


def test_a_commitment_cannot_be_related_to_itself():
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor)
    with pytest.raises(ValidationError) as refused:
        services.commitment_update(actor=editor, commitment=commitment, related=[commitment])
    assert refused.value.message_dict == {"related": ["A commitment cannot be related to itself."]}


def test_admin_form_change_of_regions_and_related_records_history(client, regions):
    editor = f.make_editor()
    mopti, segou = regions
    other = f.make_commitment(actor=editor, reference="PAG-9")
    commitment = f.make_commitment(actor=editor, regions=[mopti])
    f.login_staff(client, editor)
    data = commitment_post(
        commitment.framework,
        commitment.pillar,
        commitment.responsibilities.get().institution,
        reference=commitment.reference,
        title_en=commitment.title_en,
        expected_version=1,
        regions_field=[mopti.pk, segou.pk],
        related_field=[other.pk],
    )
    response = client.post(reverse("admin:tracker_commitment_change", args=[commitment.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    record = newest(commitment)
    assert (record.history_user, region_names(record)) == (editor, ["Mopti", "Ségou"])
    assert commitment.history.count() == 2
    assert newest(Commitment.objects.get(pk=other.pk)).history_user == editor


def test_import_change_of_regions_records_history(regions):
    editor = f.make_user("Administrators")
    mopti, segou = regions
    commitment = f.make_commitment(actor=editor, reference="LPS-5", regions=[mopti])
    exported = CommitmentResource().export(queryset=Commitment.objects.filter(pk=commitment.pk))
    exported.dict = [{**row, "regions": "mopti;segou"} for row in exported.dict]
    dataset = tablib.Dataset().load(exported.csv, format="csv")
    result = CommitmentResource().import_data(dataset, dry_run=False, use_transactions=True, user=editor)
    assert not result.has_errors() and not result.has_validation_errors()
    record = newest(commitment)
    assert (record.history_user, region_names(record)) == (editor, ["Mopti", "Ségou"])


def test_seed_related_links_go_through_the_service_and_are_recorded(tmp_path):
    loader = Loader()
    editor = f.make_user("Administrators")
    loader.author = editor
    first = f.make_commitment(actor=editor, reference="A-1")
    f.make_commitment(actor=editor, reference="B-1")
    loader.load_related({"ref": "A-1", "related": ["B-1"]})
    record = newest(first)
    assert (record.history_user, record.version) == (editor, 2)
    assert [r.to_commitment.reference for r in record.related.select_related("to_commitment")] == ["B-1"]


def test_responsible_institutions_show_in_the_diff_and_the_public_change_log(client):
    editor, colleague = f.make_editor(), f.make_editor()
    police = f.make_institution(acronym="PN", name_fr="Police nationale", name_en="National Police")
    ministry = f.make_institution(
        acronym="MSPC", name_fr="Ministère de la Sécurité", name_en="Security Ministry"
    )
    commitment = f.make_commitment(actor=editor, reference="LPS-4", lead_institution=police)
    services.commitment_update(
        actor=colleague,
        commitment=commitment,
        expected_version=1,
        lead_institution=ministry,
        supporting_institutions=[police],
    )
    before = "PN – National Police (lead)"
    after = "MSPC – Security Ministry (lead), PN – National Police (supporting)"
    f.login_staff(client, editor)
    response = client.get(reverse("admin:tracker_commitment_history_diff", args=[commitment.pk]))
    latest = response.context["entries"][0]
    assert latest["user"] == colleague.username
    assert latest["changes"] == [{"field": "responsible institutions", "old": before, "new": after}]
    _, entries = commitment_changelog("LPS-4")
    assert entries[0]["changes"] == [{"field": "responsible institutions", "old": before, "new": after}]
    # A save that does not touch them shows no institution change.
    services.commitment_update(actor=colleague, commitment=commitment, provision="Art. 9")
    _, entries = commitment_changelog("LPS-4")
    assert [c["field"] for c in entries[0]["changes"]] == ["provision"]


def test_diff_and_change_log_queries_do_not_grow_with_the_number_of_edits(client, regions):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    editor = f.make_editor()
    mopti, segou = regions
    commitment = f.make_commitment(actor=editor, reference="LPS-6", related=[f.make_commitment(actor=editor)])
    f.login_staff(client, editor)
    urls = [
        reverse("admin:tracker_commitment_history_diff", args=[commitment.pk]),
        reverse("editorial:commitment-changelog", args=["LPS-6"]),
    ]

    def counts():
        result = []
        for url in urls:
            client.get(url)  # the session's once-a-minute "last seen" write happens here
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result

    services.commitment_update(actor=editor, commitment=commitment, regions=[mopti])
    few = counts()
    for i in range(6):
        services.commitment_update(
            actor=editor, commitment=commitment, regions=[segou] if i % 2 else [mopti, segou]
        )
    assert counts() == few == [10, 8]
