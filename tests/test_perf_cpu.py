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
