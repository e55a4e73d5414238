"""The public list at scale (docs/performance.md, issue 8): searches count their
matches only up to a limit, deep pages read their keys from covering indexes,
and PostgreSQL searches a stored search vector."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories as f
from tracker import services
from tracker.views import CappedCountPaginator

LIST = reverse("tracker:commitment-list")


@pytest.fixture
def fires(db):
    """Five commitments whose titles have "pompiers", two that do not."""
    editor = f.make_editor()
    framework, pillar, institution = f.make_framework(), f.make_pillar(), f.make_institution()
    made = {}
    for i in range(7):
        word = "pompiers" if i < 5 else "douaniers"
        made[f"FIRE-{i}"] = f.make_commitment(
            actor=editor,
            reference=f"FIRE-{i}",
            framework=framework,
            pillar=pillar,
            lead_institution=institution,
            title_fr=f"Former des {word} ({i})",
            title_en=f"Train {word} ({i})",
        )
    return made


def refs(response) -> list[str]:
    return [c.reference for c in response.context["commitments"]]


def test_search_counts_every_match_under_the_limit(client, fires):
    response = client.get(LIST, {"q": "pompiers"})
    assert response.status_code == 200
    assert response.context["count_capped"] is False
    assert response.context["page"].paginator.count == 5
    assert "5 engagements trouvés." in response.content.decode()


def test_search_past_the_limit_says_more_than_and_pages_through_the_first(client, fires, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "limit", 3)
    monkeypatch.setattr("tracker.views.PAGE_SIZE", 2)
    first = client.get(LIST, {"q": "pompiers"})
    html = first.content.decode()
    assert first.context["count_capped"] is True
    assert first.context["page"].paginator.count == 3
    assert first.context["page"].paginator.num_pages == 2
    assert "Plus de 3 engagements trouvés" in html
    assert refs(first) == ["FIRE-0", "FIRE-1"]
    second = client.get(LIST, {"q": "pompiers", "page": "2"})
    assert refs(second) == ["FIRE-2"]  # the first 3 matches, in the list's order
    beyond = client.get(LIST, {"q": "pompiers", "page": "3"})
    assert beyond.status_code == 400
    assert "la dernière page est 2" in beyond.content.decode()
    # The export is not capped: every match.
    export = client.get(reverse("tracker:commitment-export"), {"q": "pompiers"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert sum(1 for line in body.splitlines() if "FIRE-" in line) == 5


def test_search_past_the_limit_in_english(client, fires, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "limit", 3)
    response = client.get(LIST, {"q": "pompiers"}, headers={"accept-language": "en"})
    assert "More than 3 commitments found: the list shows the first 3." in response.content.decode()


def search_sql(client, **params) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, params)
    return [q["sql"] for q in queries.captured_queries if "pompiers" in q["sql"]]


@pytest.mark.usefixtures("render_every_time")
def test_search_count_stops_at_the_limit(client, fires, monkeypatch):
    """The count reads at most limit + 1 keys, not every match."""
    monkeypatch.setattr(CappedCountPaginator, "limit", 3)
    counted, rows = search_sql(client, q="pompiers")
    assert counted.startswith('SELECT "tracker_commitment"."id"') and counted.endswith("LIMIT 4")
    assert '"tracker_commitment"."id" IN (' not in rows  # capped: the rows query sorts and limits


@pytest.mark.usefixtures("render_every_time")
def test_under_the_limit_the_page_reads_the_matches_by_key(client, fires, monkeypatch):
    """A rare term: the page's rows are read by the keys the count found, in the
    list's order, page after page (PostgreSQL otherwise may walk the reference
    index testing every row)."""
    monkeypatch.setattr("tracker.views.PAGE_SIZE", 2)
    _counted, rows = search_sql(client, q="pompiers")
    assert '"tracker_commitment"."id" IN (' in rows
    pages = [refs(client.get(LIST, {"q": "pompiers", "page": n})) for n in ("1", "2", "3")]
    assert pages == [["FIRE-0", "FIRE-1"], ["FIRE-2", "FIRE-3"], ["FIRE-4"]]
    ordered = refs(client.get(LIST, {"q": "pompiers", "ordering": "-reference"}))
    assert ordered == ["FIRE-4", "FIRE-3"]
    assert client.get(LIST, {"q": "introuvable"}).context["page"].paginator.count == 0


def test_lists_without_a_search_count_exactly(client, fires, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "limit", 3)
    response = client.get(LIST)
    assert response.context["count_capped"] is False
    assert response.context["page"].paginator.count == 7


@pytest.mark.postgres
@pytest.mark.usefixtures("render_every_time")
def test_postgresql_searches_the_stored_generated_vector(client, fires):
    """search_vector is a generated column (migration 0008): a search finds a
    commitment by a word added by an edit, and no longer by a word removed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT is_generated, generation_expression FROM information_schema.columns "
            "WHERE table_name = 'tracker_commitment' AND column_name = 'search_vector'"
        )
        generated, expression = cursor.fetchone()
    assert generated == "ALWAYS"
    assert "to_tsvector" in expression and "search_document" in expression
    commitment = fires["FIRE-5"]
    services.commitment_update(
        actor=f.make_editor(),
        commitment=commitment,
        title_fr="Former des gendarmes",
        title_en="Train gendarmes",
    )
    assert "FIRE-5" in refs(client.get(LIST, {"q": "gendarmes"}))
    assert "FIRE-5" not in refs(client.get(LIST, {"q": "douaniers"}))
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, {"q": "gendarmes"})
    searched = [q["sql"] for q in queries.captured_queries if "@@" in q["sql"]]
    assert searched and all('"search_vector" @@' in sql for sql in searched)
    assert not any("to_tsvector" in sql for sql in searched)


@pytest.mark.postgres
def test_list_indexes_cover_the_keys_of_a_deep_page(db):
    """The keys of a deep page are read from the index alone (INCLUDE id)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tracker_commitment'")
        indexes = dict(cursor.fetchall())
    for name, columns in (
        ("tracker_com_status_ref_id", "(current_status, reference) INCLUDE (id)"),
        ("tracker_com_framework_ref_id", "(framework_id, reference) INCLUDE (id)"),
        ("tracker_com_pillar_ref_id", "(pillar_id, reference) INCLUDE (id)"),
    ):
        assert columns in indexes[name], indexes.get(name)
    assert "USING gin (search_vector)" in indexes["tracker_com_search_vector"]
    assert "tracker_com_search_gin" not in indexes


@pytest.mark.usefixtures("render_every_time")
def test_filter_options_are_built_once_per_reference_version(client, fires):
    """The option lists (frameworks, pillars, institutions, regions) cost no
    query while the reference data is unchanged, and follow any change at once."""
    client.get(LIST)
    with CaptureQueriesContext(connection) as warm:
        client.get(LIST)
    assert not [
        q
        for q in warm.captured_queries
        if 'FROM "tracker_institution"' in q["sql"] and "ORDER BY" in q["sql"]
    ]
    institution = f.make_institution(name_fr="Garde nationale du Mali", acronym="GNM")
    html = client.get(LIST).content.decode()
    assert f'<option value="{institution.slug}">GNM – Garde nationale du Mali</option>' in html
    services_rename = type(institution).objects.filter(pk=institution.pk)
    services_rename.update(name_fr="Garde nationale", version=institution.version + 1)  # no signal
    assert (
        f'<option value="{institution.slug}">GNM – Garde nationale</option>'
        in client.get(LIST).content.decode()
    )
    english = client.get(LIST, headers={"accept-language": "en"}).content.decode()
    assert "All institutions" in english and "Toutes les institutions" not in english
