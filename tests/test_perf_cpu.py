"""CPU fast paths of the API (issue 8, perf-cpu): each one must answer
exactly what the generic code it short-cuts answers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from tests import factories as f
from tracker import services
from tracker.api import selectors
from tracker.api import serializers as s

pytestmark = pytest.mark.django_db


def generic(serializer, instance) -> dict:
    """DRF's own Serializer.to_representation: every declared field, walked."""
    return dict(serializers.Serializer.to_representation(serializer, instance))


@pytest.fixture
def record(editor):
    parent = f.make_public_record(1, prefix="PAR")[0]
    child = f.make_public_record(1, prefix="KID")[0]
    child.parent = parent
    child.save(update_fields=["parent"])
    services.indicator_create(actor=editor, commitment=child, key="recruits", name_fr="Recrues", unit="count")
    return child


def test_reference_serializers_answer_what_their_fields_give(record):
    commitment = selectors.commitment_detail(record.reference)
    responsibility = commitment.api_responsibilities[0]
    objects = {
        s.CommitmentRefSerializer: commitment.parent,
        s.FrameworkRefSerializer: commitment.framework,
        s.PillarRefSerializer: commitment.pillar,
        s.RegionRefSerializer: commitment.api_regions[0],
        s.InstitutionRefSerializer: responsibility.institution,
        s.IndicatorRefSerializer: commitment.api_indicators[0],
    }
    assert set(s.RefSerializer.__subclasses__()) == set(objects)
    for serializer_class, instance in objects.items():
        serializer = serializer_class()
        fast = serializer.to_representation(instance)
        assert fast == generic(serializer, instance)
        assert list(fast) == list(serializer.fields)  # same keys, same order
    serializer = s.ResponsibilitySerializer()
    assert serializer.to_representation(responsibility) == generic(serializer, responsibility)
    assert list(serializer.to_representation(responsibility)) == ["slug", "url", "role"]


def test_reference_url_is_quoted_as_reverse_quotes(record):
    record.reference = "A B:é"
    serializer = s.CommitmentRefSerializer()
    expected = settings.SITE_URL + reverse("api:commitment-detail", args=[record.reference])
    assert serializer.to_representation(record)["url"] == expected


# --- the API selectors load references with their identifier only (.only()) ------------


@pytest.fixture
def linked(editor):
    """Commitments with every kind of reference the list and detail show: a
    parent, children, related commitments, two institutions, regions, indicators."""
    parent = f.make_commitment(actor=editor, regions=[f.make_region()])
    rows = [
        f.make_commitment(
            actor=editor,
            parent=parent,
            supporting_institutions=[f.make_institution()],
            regions=[f.make_region(), f.make_region()],
            related=[parent],
        )
        for _ in range(3)
    ]
    for c in rows:
        services.indicator_create(
            actor=editor, commitment=c, key=f"k-{c.pk}", name_fr="Indicateur", unit="count"
        )
    return parent, rows


@pytest.mark.usefixtures("render_every_time")
def test_list_reads_no_deferred_column(client, linked, django_assert_num_queries):
    # 1 page + responsibilities + regions + indicators, whatever the rows hold:
    # a deferred column read by the serializer would add one query per row.
    with django_assert_num_queries(4):
        body = client.get("/api/v1/commitments/?page_size=10").json()
    rows = {r["reference"]: r for r in body["results"]}
    parent, children = linked
    child = rows[children[0].reference]
    assert child["parent"] == parent.reference
    assert child["framework"]["code"] == children[0].framework.code
    assert len(child["institutions"]) == 2 and len(child["regions"]) == 2 and len(child["indicators"]) == 1
    for ordering in ("-due_date", "-updated", "title", "progress"):  # the next link reads the sort key
        with django_assert_num_queries(4):
            response = client.get(f"/api/v1/commitments/?page_size=1&ordering={ordering}")
        assert response.json()["next"]


@pytest.mark.usefixtures("render_every_time")
def test_detail_reads_no_deferred_column(client, linked, django_assert_num_queries):
    parent, children = linked
    f.make_published_assessment(children[0], blocking_party=f.make_institution(), delay_reason="funding")
    # No assessment and no indicator: their evidence and measurements are not asked for.
    with django_assert_num_queries(7):
        body = client.get(f"/api/v1/commitments/{parent.reference}/").json()
    assert [c["reference"] for c in body["children"]] == sorted(c.reference for c in children)
    assert len(body["related"]) == 3 and body["description_fr"] == parent.description_fr
    with django_assert_num_queries(9):
        body = client.get(f"/api/v1/commitments/{children[0].reference}/").json()
    assert body["assessments"][0]["blocking_party"]["slug"]
    assert body["related"][0]["reference"] == parent.reference


# --- ModelSerializer field sets are built once per class ---------------------------------


def test_model_serializer_fields_are_built_once_per_class(monkeypatch):
    assert s.CommitmentDetailSerializer().fields  # built (if no earlier test did)
    built = []
    original = serializers.ModelSerializer.build_field
    monkeypatch.setattr(
        serializers.ModelSerializer,
        "build_field",
        lambda self, *args: built.append(args[0]) or original(self, *args),
    )
    first, second = s.CommitmentDetailSerializer(), s.CommitmentDetailSerializer()
    assert list(first.fields) == list(second.fields) == s.CommitmentDetailSerializer.Meta.fields
    assert built == []  # not rebuilt from the model
    # Each serializer still gets its own fields, bound to it.
    assert first.fields["reference"] is not second.fields["reference"]
    assert first.fields["reference"].parent is first and second.fields["reference"].parent is second
    assert first.fields["assessments"].child.fields["id"].root is first
    # A subclass with other fields has its own set, not its parent's.
    assert "commitment" in s.AssessmentSerializer().fields
    assert "commitment" not in s.NestedAssessmentSerializer().fields


# --- to_representation reads plain attributes with getattr() --------------------------


def _same_as_drf(serializer, instance) -> None:
    fast = serializer.to_representation(instance)
    slow = serializers.Serializer.to_representation(serializer, instance)
    assert fast == slow
    assert list(fast) == list(slow)


def test_fast_to_representation_answers_what_drf_answers(linked, record):
    parent, children = linked
    f.make_published_assessment(children[0], blocking_party=f.make_institution(), delay_reason="funding")
    for reference in (parent.reference, children[0].reference, record.reference):
        detail = selectors.commitment_detail(reference)
        _same_as_drf(s.CommitmentDetailSerializer(), detail)
        for assessment in detail.published_assessments:
            _same_as_drf(s.NestedAssessmentSerializer(), assessment)
    for row in selectors.commitments():
        _same_as_drf(s.CommitmentListSerializer(), row)
    for selector, serializer in [
        (selectors.assessments, s.AssessmentSerializer),
        (selectors.evidence, s.EvidenceSerializer),
        (selectors.indicators, s.IndicatorSerializer),
        (selectors.institutions, s.InstitutionSerializer),
        (selectors.frameworks, s.FrameworkSerializer),
        (selectors.pillars, s.PillarSerializer),
        (selectors.regions, s.RegionSerializer),
    ]:
        rows = list(selector())
        assert rows, serializer
        for row in rows:
            _same_as_drf(serializer(), row)


def test_fast_to_representation_leaves_callables_and_defaults_to_drf(record):
    class Probe(s.FieldsOnceModelSerializer):
        page = serializers.CharField(source="get_absolute_url")  # a method: DRF calls it
        lead = serializers.CharField(source="no_such_attribute", default="none")
        parent_reference = serializers.CharField(source="parent.reference")

        class Meta:
            model = s.Commitment
            fields = ["reference", "page", "lead", "parent_reference", "regions"]

    commitment = selectors.commitment_detail(record.reference)
    _same_as_drf(Probe(), commitment)
    assert Probe().to_representation(commitment)["page"] == commitment.get_absolute_url()
    assert Probe().to_representation(commitment)["lead"] == "none"
