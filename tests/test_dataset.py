"""The Mali seed record (fixtures/mali/*.yaml), loaded through `load_seed`.

The record is loaded once per module inside a transaction that is rolled back
at the end, so no other test module sees it; each test runs in its own
savepoint on top of it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

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


def test_every_measurement_shows_its_source_to_the_public():
    """The public pages link a figure to its evidence only when that evidence is
    public, i.e. cited by a published assessment (EvidenceQuerySet.public)."""
    public = set(Evidence.objects.public().values_list("pk", flat=True))
    hidden = Measurement.objects.exclude(evidence_id__in=public).values_list("indicator__key", "measured_on")
    assert list(hidden) == []


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


# --- the named content -----------------------------------------------------

# The frameworks issue #3 names, by their codes in fixtures/mali/reference.yaml.
NAMED_FRAMEWORKS = {
    "ALGER-2015": "peace_agreement",  # the 2015 Algiers agreement (SSR/DDR provisions)
    "LOPM-2015": "programming_law",
    "LPS-2017": "programming_law",
    "PAG-2025": "action_plan",  # 2025-2026 Government Action Plan recruitment targets
    "PNS-2005": "policy",  # the national security policy
    "PAN1325-2012": "national_action_plan",
    "PAN1325-2015": "national_action_plan",
    "PAN1325-2019": "national_action_plan",
    "PN-VBG-2018": "action_plan",  # the National Police's GBV action plan 2018-2022
    "PSIRC-2017": "action_plan",  # the 2017 security plan for Mopti and Ségou
    "ARMEE-2020": "pledge",  # the 2020 pledge to nearly double the army
    "PGPSP-2008": "programme",
    "PRODEJ-2000": "programme",
}
# "divided into 10 regions and one capital district" (001_a7622d8b73b5fe19.txt)
REGIONS_IN_THE_SOURCES = {
    "bamako": "district",
    "gao": "region",
    "kayes": "region",
    "kidal": "region",
    "koulikoro": "region",
    "menaka": "region",
    "mopti": "region",
    "segou": "region",
    "sikasso": "region",
    "taoudenit": "region",
    "tombouctou": "region",
}
# Institutions the issue names: slug -> (kind, parent slug).
NAMED_INSTITUTIONS = {
    "mdac": ("ministry", "gouvernement"),
    "mspc": ("ministry", "gouvernement"),
    "fama": ("security_force", "mdac"),
    "police-nationale": ("security_force", "mspc"),
    "gendarmerie": ("security_force", "mdac"),
    "garde-nationale": ("security_force", "mdac"),
    "cnrss": ("oversight_body", "primature"),
    "crss": ("oversight_body", "cnrss"),  # the SSR commissioner
    "comites-consultatifs-regionaux": ("local_committee", "cnrss"),
    "comites-consultatifs-locaux": ("local_committee", "cnrss"),
    "commission-defense-an": ("parliament_committee", "assemblee-nationale"),
    "cndh": ("oversight_body", "mjdh"),
    "minusma": ("international_partner", "onu"),
    "cma": ("armed_group", None),
    "plateforme": ("armed_group", None),
}
# What INDEX.md says of each source: publisher and date as the evidence records them.
PUBLISHERS = {
    "000_a6f421a3ce9738a8.txt": ("Neil Camara", "2025"),
    "001_a7622d8b73b5fe19.txt": ("International SSR advisory programme", "2019"),
    "002_6cb9664a60edcfc7.txt": ("ISS Today", "2024"),
    "003_f534560550f1c4ca.txt": ("factbook", "2024"),
    "004_096934db1eedfab6.txt": ("The Washington Post", "2020-03-11"),
}
SOURCES_DIR = Path(settings.BASE_DIR).parent / "shared" / "sources"


def test_every_named_framework_is_there_with_commitments():
    frameworks = {
        fw.code: fw for fw in Framework.objects.filter(code__in=NAMED_FRAMEWORKS, commitments__isnull=False)
    }
    assert {code: fw.kind for code, fw in frameworks.items()} == NAMED_FRAMEWORKS
    algiers = frameworks["ALGER-2015"]
    assert algiers.status == "terminated" and algiers.period_end == 2024
    assert set(Commitment.objects.filter(framework=algiers).values_list("pillar__slug", flat=True)) >= {
        "ddr",
        "defence",
    }


def test_larger_commitments_have_milestones():
    parents = Commitment.objects.filter(parent__isnull=True, children__isnull=False).distinct()
    assert parents.count() >= 5
    assert Commitment.objects.filter(parent__isnull=False).count() >= 10
    for code in ("ALGER-2015", "LOPM-2015", "LPS-2017", "PAG-2025"):
        assert parents.filter(framework__code=code).exists(), code


def test_every_region_the_sources_name_is_there():
    assert dict(Region.objects.values_list("slug", "kind")) == REGIONS_IN_THE_SOURCES


def test_institutions_have_kinds_parents_and_source_acronyms():
    institutions = {i.slug: i for i in Institution.objects.select_related("parent")}
    for slug, (kind, parent) in NAMED_INSTITUTIONS.items():
        assert institutions[slug].kind == kind, slug
        assert (institutions[slug].parent.slug if institutions[slug].parent else None) == parent, slug
    kinds = {i.kind for i in institutions.values()}
    assert kinds >= {
        "ministry",
        "security_force",
        "oversight_body",
        "court",
        "parliament_committee",
        "local_committee",
        "international_partner",
        "armed_group",
    }
    assert sum(1 for i in institutions.values() if i.parent_id) >= 20
    assert {"CNRSS", "CRSS", "CNDH", "MSPC", "MDAC", "FAMa", "MINUSMA", "CMA"} <= {
        i.acronym for i in institutions.values()
    }
    # An acronym is a fact: each one given must appear in one of the sources.
    if SOURCES_DIR.is_dir():
        corpus = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES_DIR.glob("*.txt"))
        for institution in institutions.values():
            # As a whole word: "PN" inside "PNG-Mali" is not a source for "PN".
            word = rf"(?<![\w-]){re.escape(institution.acronym)}(?![\w-])"
            if institution.acronym:
                assert re.search(word, corpus), (institution.slug, institution.acronym)


def test_reference_data_cites_the_source_files_and_is_bilingual():
    for row in [*Institution.objects.all(), *Framework.objects.all()]:
        assert row.source_document in SOURCE_FILES, row
        assert row.name_fr.strip() and row.name_en.strip(), row
    for framework in Framework.objects.all():
        assert framework.description_fr.strip() and framework.description_en.strip(), framework.code
    for pillar in Pillar.objects.all():
        assert pillar.name_fr.strip() and pillar.name_en.strip(), pillar.slug


def test_evidence_names_publisher_title_and_date_of_its_source():
    for item in Evidence.objects.all():
        publisher, date = PUBLISHERS[item.source_document]
        assert publisher in item.publisher, (item.key, item.publisher)
        assert item.published_on is not None, item.key
        assert item.published_on.isoformat().startswith(date) or (
            len(date) == 4 and item.published_on.year == int(date)
        ), (item.key, item.published_on)
        assert item.title.strip() and item.visibility == "public", item.key


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    for old, new in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("–", "-"), ("—", "-")):
        text = text.replace(old, new)
    return re.sub(r"\s+", " ", text).strip().lower()


@pytest.mark.skipif(not SOURCES_DIR.is_dir(), reason="the source texts (../shared/sources/) are not here")
def test_every_excerpt_is_quoted_from_its_source_file():
    """Quotes are the sources' own words: each part of an excerpt (cuts marked
    "[...]") appears in the cited file, up to quotes, dashes and white space."""
    sources = {path.name: _fold(path.read_text(encoding="utf-8")) for path in SOURCES_DIR.glob("*.txt")}
    assert set(sources) >= SOURCE_FILES
    misquoted = []
    for item in Evidence.objects.all():
        for part in item.excerpt.split("[...]"):
            part = _fold(part).strip(" .;,\"'")
            if part and part not in sources[item.source_document]:
                misquoted.append((item.key, part))
    assert misquoted == []


def test_indicators_carry_the_sources_numbers_with_dated_measurements():
    def series(key: str) -> list[tuple[str, float]]:
        rows = Measurement.objects.filter(indicator__key=key).order_by("measured_on")
        return [(m.measured_on.isoformat()[:4], float(m.value)) for m in rows]

    # Women in the National Police: 12.4% in 2014, 13.7% in 2017 (001).
    assert series("png-2011-01-pn-women-share") == [("2014", 12.4), ("2017", 13.7)]
    assert series("png-2011-01-pn-women-senior-share") == [("2014", 9.2), ("2017", 11.1)]
    assert series("png-2011-01-army-women-share") == [("2014", 7.0)]
    assert series("png-2011-01-guard-women-share") == [("2019", 5.0)]
    police = Measurement.objects.get(indicator__key="png-2011-01-pn-staff")
    assert (police.value, police.value_women, police.value_men) == (6000, 700, None)
    assert series("rss-2013-09-cnrss-women") == [("2018", 1.0)]
    # Budgets in FCFA and the 30% quota as targets.
    budgets = dict(Indicator.objects.filter(unit="fcfa").values_list("key", "target_value"))
    assert budgets == {"lopm-2015-01-budget": 1_200_000_000_000, "lps-2017-01-budget": 446_000_000_000}
    quota = Indicator.objects.filter(key__startswith="quota-2015-01-")
    assert quota.count() == 3 and {float(i.target_value) for i in quota} == {30.0}
    # Recruits: the August 2024 wave and the 2025 campaign's targets (000).
    assert series("pag-2025-021-police-recruits") == [("2024", 1000.0)]
    assert series("pag-2025-022-firefighter-recruits") == [("2024", 500.0)]
    assert Indicator.objects.get(key="pag-2025-011-police-recruits").target_value == 2000
    assert Indicator.objects.get(key="pag-2025-01-personnel-added").target_value == 24000
    for measurement in Measurement.objects.all():
        assert measurement.measured_on is not None, measurement


def _history(reference: str) -> list[tuple[str, str]]:
    rows = Assessment.objects.filter(commitment__reference=reference, review_state=PUBLISHED).order_by(
        "as_of"
    )
    return [(a.as_of.isoformat()[:7], a.status) for a in rows]


def test_histories_show_the_changes_the_sources_report():
    # Algiers DDR and cantonment: initiated in 2016, abandoned when the agreement ended (January 2024).
    for reference in ("ALGER-2015-01", "ALGER-2015-01.1"):
        history = _history(reference)
        assert history[0][0].startswith("2016") and history[0][1] == "initiated", reference
        assert history[-1] == ("2024-01", "abandoned"), reference
    # The August 2024 recruitment wave completed, the 2025 campaign in progress.
    assert _history("PAG-2025-02") == [("2024-08", "completed")]
    assert _history("PAG-2025-01.1")[-1] == ("2025-01", "in_progress")
    assert (
        Commitment.objects.filter(assessments__isnull=False)
        .annotate(n=Count("assessments"))
        .filter(n__gte=2)
        .count()
        >= 15
    )


# How an "unclear" verdict says what is not known, in each language.
NOT_KNOWN = {
    "en": re.compile(
        r"not known|do(es)? not (say|give|describe|date|detail)|no source|sources? "
        r"(give|report|say|describe)s? (no|nothing|neither)|cannot be|but no ",
        re.IGNORECASE,
    ),
    "fr": re.compile(
        r"ne (disent|donnent|décrivent|datent|précisent|permet|rapportent)|ne dit pas|on ne sait pas"
        r"|aucune? |ne peut pas",
        re.IGNORECASE,
    ),
}


def test_where_the_sources_say_nothing_the_record_says_unclear():
    assert Commitment.objects.filter(current_status="unclear").count() >= 5
    for assessment in Assessment.objects.filter(status="unclear"):
        assert NOT_KNOWN["en"].search(assessment.summary_en), (assessment, assessment.summary_en)
        assert NOT_KNOWN["fr"].search(assessment.summary_fr), (assessment, assessment.summary_fr)
