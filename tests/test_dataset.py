"""The Mali seed record (fixtures/mali/*.yaml), loaded through `load_seed`.

The record is loaded once per module inside a transaction that is rolled back
at the end, so no other test module sees it; each test runs in its own
savepoint on top of it.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.db import transaction

from tracker.models import (
    Assessment,
    Commitment,
    Evidence,
    Framework,
    Indicator,
    Institution,
    Measurement,
    Pillar,
    Region,
)

SOURCE_FILES = {
    "000_a6f421a3ce9738a8.txt",
    "001_a7622d8b73b5fe19.txt",
    "002_6cb9664a60edcfc7.txt",
    "003_f534560550f1c4ca.txt",
    "004_096934db1eedfab6.txt",
}
PUBLISHED = Assessment.ReviewState.PUBLISHED
# A sentence ends with . ! or ? (optionally followed by a closing quote), then
# white space and a capital or an opening quote. "[...]" marks a cut.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”»]?\s+(?=[A-Z“\"«])")


def sentence_count(text: str) -> int:
    text = text.replace("[...]", "").strip()
    return len([part for part in _SENTENCE_END.split(text) if part.strip()]) if text else 0


def counts() -> dict[str, int]:
    models = (
        Pillar,
        Region,
        Institution,
        Framework,
        Commitment,
        Evidence,
        Assessment,
        Indicator,
        Measurement,
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture(scope="module")
def seed(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            call_command("load_seed", verbosity=0)
            yield
            transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seed")]


def test_sentence_counter():
    assert sentence_count("One. Two.") == 2
    assert sentence_count("It cost 1.5 billion Euros (NFdU, 2015).") == 1
    assert sentence_count("He said “slow and non-impactful” (CLU, 2015). Next one.") == 2


def test_size_of_the_record():
    assert Commitment.objects.count() >= 45
    assert Framework.objects.filter(commitments__isnull=False).distinct().count() >= 8
    assert Institution.objects.count() >= 30
    assert Region.objects.filter(kind="district", slug="bamako").exists()


def test_every_pillar_has_commitments():
    empty = list(Pillar.objects.filter(commitments__isnull=True).values_list("slug", flat=True))
    assert Pillar.objects.count() >= 9
    assert empty == []


def test_every_commitment_has_exactly_one_lead_institution():
    for commitment in Commitment.objects.prefetch_related("responsibilities"):
        leads = [r for r in commitment.responsibilities.all() if r.role == "lead"]
        assert len(leads) == 1, commitment.reference


def test_every_commitment_has_a_published_assessment_citing_evidence():
    for commitment in Commitment.objects.all():
        cited = Assessment.objects.filter(
            commitment=commitment, review_state=PUBLISHED, evidence__isnull=False
        )
        assert cited.exists(), commitment.reference


def test_assessments_cite_evidence_of_their_own_commitment():
    for assessment in Assessment.objects.prefetch_related("evidence"):
        assert assessment.evidence.exists(), assessment
        for item in assessment.evidence.all():
            assert item.commitment_id == assessment.commitment_id


def test_evidence_comes_from_the_five_source_files():
    assert Evidence.objects.count() > 0
    for item in Evidence.objects.all():
        assert item.source_document in SOURCE_FILES, item.key
        assert item.publisher and item.title, item.key


def test_evidence_excerpts_are_at_most_two_sentences():
    for item in Evidence.objects.all():
        assert item.excerpt, item.key
        assert sentence_count(item.excerpt) <= 2, (item.key, item.excerpt)


def test_measurements_cite_evidence_of_the_same_commitment():
    for measurement in Measurement.objects.select_related("indicator", "evidence"):
        assert measurement.evidence is not None, measurement
        assert measurement.evidence.commitment_id == measurement.indicator.commitment_id


def test_status_histories_are_in_date_order_and_current_status_is_the_latest():
    for commitment in Commitment.objects.all():
        history = list(
            Assessment.objects.filter(commitment=commitment, review_state=PUBLISHED).order_by("pk")
        )
        dates = [a.as_of for a in history]
        assert dates == sorted(dates), commitment.reference
        assert len(set(dates)) == len(dates), commitment.reference
        assert commitment.current_status == history[-1].status, commitment.reference
        assert commitment.status_as_of == history[-1].as_of, commitment.reference


def test_both_languages_on_titles_and_summaries():
    for commitment in Commitment.objects.all():
        assert commitment.title_fr.strip() and commitment.title_en.strip(), commitment.reference
        assert commitment.description_fr.strip() and commitment.description_en.strip(), commitment.reference
    for assessment in Assessment.objects.all():
        assert assessment.summary_fr.strip() and assessment.summary_en.strip(), assessment


def test_reference_codes_start_with_their_framework_code():
    for commitment in Commitment.objects.select_related("framework", "parent"):
        assert commitment.reference.startswith(commitment.framework.code + "-"), commitment.reference
        if commitment.parent is not None:
            assert commitment.parent.framework_id == commitment.framework_id


def test_women_peace_and_security_commitments_are_marked():
    assert Commitment.objects.filter(pillar__slug="gender", wps_marker=True).count() >= 5


def test_loading_twice_changes_nothing():
    before = counts()
    statuses = dict(Commitment.objects.values_list("reference", "current_status"))
    call_command("load_seed", verbosity=0)
    assert counts() == before
    assert dict(Commitment.objects.values_list("reference", "current_status")) == statuses
