"""The cache of public pages and public API reads (tracker/pagecache.py):
served again for one query, never stale after a change of the record, never
mixing languages, readers or days, never storing what an editor or a
partner sees, and a fresh CSRF token for every reader."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests import factories as f
from tracker import pagecache, services, stats

TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def record(db):
    commitments = f.make_public_record(3)
    return commitments[0]


def pages(record) -> list[str]:
    institution = record.responsibilities.get().institution
    return [
        reverse("tracker:commitment-list") + "?status=in_progress",
        reverse("tracker:commitment-list") + "?q=engagement&page=1",
        reverse("tracker:commitment-detail", args=[record.reference]),
        reverse("tracker:commitment-detail", args=[record.reference]) + "?as_of=2024-07-01",
        reverse("tracker:institution-detail", args=[institution.slug]),
        reverse("tracker:changes") + "?start=2024-01-01&end=2024-12-31",
    ]


def api_reads(record) -> list[str]:
    return [
        "/api/v1/commitments/?status=in_progress&page_size=2",
        f"/api/v1/commitments/{record.reference}/",
        "/api/v1/pillars/",
        "/api/v1/assessments/",
        "/api/v1/stats/",
    ]


def masked(content: bytes) -> bytes:
    return TOKEN.sub(b'name="csrfmiddlewaretoken" value="-"', content)


def count_queries(client, path, **kw):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **kw)
    return response, len(queries)


def test_a_second_anonymous_read_is_served_for_one_query(client, record):
    for path in pages(record) + api_reads(record):
        first, rendered = count_queries(client, path)
        assert first.status_code == 200, path
        assert rendered > 1, path
        second, cached = count_queries(client, path)
        assert second.status_code == 200, path
        assert cached == 1, path  # the record version's fingerprint
        assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit"), path
        if path.startswith("/api/"):
            assert second.content == first.content, path
            for header in ("ETag", "Last-Modified", "Content-Type", "Cache-Control"):
                assert second.get(header) == first.get(header), (path, header)
        else:
            assert masked(second.content) == masked(first.content), path
            assert second["ETag"] == first["ETag"], path
            assert second["Content-Type"] == first["Content-Type"]
            assert "private" in second["Cache-Control"] and "no-cache" in second["Cache-Control"]
            assert {"Accept-Language", "Cookie"} <= {v.strip() for v in second["Vary"].split(",")}


def test_a_rendered_page_is_the_page_rendered_without_cache(client, record, settings):
    for path in pages(record):
        client.get(path)
        cached = client.get(path)
        settings.PAGE_CACHE_SECONDS = 0
        rendered = client.get(path)
        settings.PAGE_CACHE_SECONDS = 600
        assert masked(cached.content) == masked(rendered.content), path


def test_every_reader_gets_their_own_working_csrf_token(record):
    path = pages(record)[2]
    first = Client(enforce_csrf_checks=True)
    second = Client(enforce_csrf_checks=True)
    one = first.get(path)
    two = second.get(path)  # from the cache
    assert b"csrf-placeholder" not in one.content and b"csrf-placeholder" not in two.content
    token_one, token_two = TOKEN.search(one.content)[1], TOKEN.search(two.content)[1]
    assert token_one != token_two
    assert "csrftoken" in two.cookies  # set, as rendering would have
    # The cached page's token is the second reader's own: the language switch works.
    switched = second.post(
        reverse("set_language"), {"language": "en", "next": path, "csrfmiddlewaretoken": token_two.decode()}
    )
    assert switched.status_code == 302
    # And not the first reader's.
    refused = Client(enforce_csrf_checks=True)
    refused.get(path)
    forged = refused.post(
        reverse("set_language"), {"language": "en", "next": path, "csrfmiddlewaretoken": token_one.decode()}
    )
    assert forged.status_code == 403


@pytest.mark.parametrize("kind", ["title", "institution", "regions", "publish"])
def test_a_change_of_the_record_is_seen_at_once(client, record, kind):
    editor = f.make_editor()
    detail = pages(record)[2]
    api = f"/api/v1/commitments/{record.reference}/"
    listing = reverse("tracker:commitment-list") + "?status=in_progress"
    before = {path: masked(client.get(path).content) for path in (detail, api, listing)}
    assert all(masked(client.get(path).content) == content for path, content in before.items())
    if kind == "title":
        services.commitment_update(actor=editor, commitment=record, title_fr="Titre tout neuf")
        seen = "Titre tout neuf"
    elif kind == "institution":
        institution = record.responsibilities.get().institution
        admin = f.make_user("Administrators")
        services.institution_update(actor=admin, institution=institution, name_fr="Ministère renommé")
        seen = "Ministère renommé"
    elif kind == "regions":
        region = f.make_region(name="Ménaka-nouvelle")
        services.commitment_update(actor=editor, commitment=record, regions=[region])
        seen = "Ménaka-nouvelle"
    else:
        f.make_published_assessment(
            record, status="completed", as_of=dt.date(2024, 10, 1), summary_fr="Achevé et publié"
        )
        seen = "Achevé et publié"
    after = client.get(detail)
    assert seen in after.content.decode()
    if kind != "institution":  # the API names institutions by reference only
        assert client.get(api).content != before[api]
    if kind in ("title", "publish"):
        assert masked(client.get(listing).content) != before[listing]


def test_languages_are_not_mixed(client, record):
    path = pages(record)[2]
    french = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")
    english = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    again = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")
    assert 'lang="fr"' in french.content.decode() and 'lang="en"' in english.content.decode()
    assert masked(again.content) == masked(french.content)
    assert french["ETag"] != english["ETag"]
    api = f"/api/v1/commitments/{record.reference}/"
    fr_api = client.get(api, HTTP_ACCEPT_LANGUAGE="fr")
    en_api = client.get(api, HTTP_ACCEPT_LANGUAGE="en")
    assert client.get(api, HTTP_ACCEPT_LANGUAGE="fr").content == fr_api.content
    assert client.get(api, HTTP_ACCEPT_LANGUAGE="en").content == en_api.content


def test_the_day_is_part_of_the_key(client, record, monkeypatch):
    """ "Overdue" and "as of today" change with the date: a new day renders again."""
    path = pages(record)[2]
    client.get(path)
    _, cached = count_queries(client, path)
    assert cached == 1
    monkeypatch.setattr(stats, "today", lambda: dt.date.today() + dt.timedelta(days=1))
    _, next_day = count_queries(client, path)
    assert next_day > 1


def test_what_an_editor_or_a_partner_reads_is_never_cached(client, record):
    path = pages(record)[2]
    editor = Client()
    editor.force_login(f.make_editor())
    for _ in range(2):
        response, queries = count_queries(editor, path)
        assert response.status_code == 200 and queries > 1
        assert "X-Page-Cache" not in response
    # Nor did the editor's reads fill the cache for anonymous readers.
    _, queries = count_queries(client, path)
    assert queries > 1
    _key, raw = f.make_api_key()
    api = f"/api/v1/commitments/{record.reference}/"
    for _ in range(2):
        response, queries = count_queries(client, api, HTTP_X_API_KEY=raw)
        assert response.status_code == 200 and queries > 1
    assert stored("api") == []


def test_unknown_parameters_and_bad_requests_are_rendered_not_stored(client, record):
    base = reverse("tracker:commitment-list")
    cases = ((base + "?utm_source=x", 200), (base + "?page=abc", 400), (base + "?due_after=x", 400))
    for path, status in cases:
        for _ in range(2):
            response, queries = count_queries(client, path)
            assert response.status_code == status, path
            assert b"csrf-placeholder" not in response.content
            assert TOKEN.search(response.content), path  # the reader's token, in place
            if status == 200:
                assert queries > 1, path
    assert stored("html") == []
    assert client.get("/api/v1/commitments/?nope=1").status_code == 400
    assert stored("api") == []


def stored(kind: str) -> list:
    """The page cache's entries of a kind (the test cache is local memory)."""
    return [key for key in list(cache._cache) if f":page:{kind}:" in key]


def test_conditional_get_gives_304_until_the_record_changes(client, record):
    path = pages(record)[2]
    first = client.get(path)
    etag = first["ETag"]
    again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    services.commitment_update(actor=f.make_editor(), commitment=record, title_fr="Autre titre")
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    api = f"/api/v1/commitments/{record.reference}/"
    client.get(api)
    cached = client.get(api)
    assert client.get(api, HTTP_IF_NONE_MATCH=cached["ETag"]).status_code == 304


def test_the_cache_can_be_turned_off_and_survives_being_down(client, record, settings, monkeypatch):
    path = pages(record)[2]
    settings.PAGE_CACHE_SECONDS = 0
    client.get(path)
    _, queries = count_queries(client, path)
    assert queries > 1
    settings.PAGE_CACHE_SECONDS = 600

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(pagecache.cache, "get", down)
    monkeypatch.setattr(pagecache.cache, "set", down)
    response = client.get(path)
    assert response.status_code == 200 and record.reference in response.content.decode()


def test_the_benchmark_refresh_header_needs_its_setting(client, record, settings):
    path = pages(record)[2]
    client.get(path)
    _, queries = count_queries(client, path, HTTP_X_PAGE_CACHE_REFRESH="1")
    assert queries == 1  # ignored: a reader cannot force a render
    settings.PAGE_CACHE_REFRESH_HEADER = True
    _, queries = count_queries(client, path, HTTP_X_PAGE_CACHE_REFRESH="1")
    assert queries > 1
    api = f"/api/v1/commitments/{record.reference}/"
    client.get(api)
    _, queries = count_queries(client, api, HTTP_X_PAGE_CACHE_REFRESH="1")
    assert queries > 1


def test_a_new_release_renders_again(client, record, settings):
    path = pages(record)[2]
    pagecache.release.cache_clear()
    try:
        settings.RELEASE = "r1"
        client.get(path)
        _, queries = count_queries(client, path)
        assert queries == 1
        settings.RELEASE = "r2"
        pagecache.release.cache_clear()
        _, queries = count_queries(client, path)
        assert queries > 1
    finally:
        pagecache.release.cache_clear()


def test_entries_are_compressed(client, record):
    path = pages(record)[0]
    response = client.get(path)
    entries = [cache.get(key.split(":", 2)[-1]) for key in stored("html")]
    assert entries and all(len(entry["content"]) < len(response.content) / 2 for entry in entries)


def test_absolute_links_follow_the_host_asked(client, record, settings):
    """The API's next/previous links are built from the request's host and
    scheme: an answer stored for one host is not served to another."""
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    path = "/api/v1/commitments/?page_size=1"
    for _ in range(2):
        assert "http://localhost/" in client.get(path, HTTP_HOST="localhost").json()["next"]
        assert "http://testserver/" in client.get(path).json()["next"]
        assert "https://testserver/" in client.get(path, secure=True).json()["next"]


def test_history_rows_do_not_replace_the_record_token(db, monkeypatch):
    """A save replaces the token (and the pages' keys); the history row written
    with it does not replace it again."""
    from django.db.models.signals import post_save

    from tracker.insights import version
    from tracker.models import Commitment

    bumps = []
    monkeypatch.setattr(version, "bump", lambda: bumps.append(1))
    commitment = f.make_commitment()
    bumps.clear()
    history = commitment.history.first()
    post_save.send(sender=type(history), instance=history, created=True, raw=False, using="default")
    assert bumps == []
    post_save.send(sender=Commitment, instance=commitment, created=False, raw=False, using="default")
    assert bumps == [1]


def test_the_page_cache_can_live_in_a_redis_of_its_own():
    """PAGE_CACHE_REDIS_URL gives the pages their own cache ("pages"); the
    record token stays in the default one."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from tracker import pagecache\n"
        "print(pagecache.cache._alias, settings.CACHES['pages']['LOCATION'], "
        "settings.CACHES['default']['LOCATION'])\n"
    )
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings",
        REDIS_URL="redis://127.0.0.1:6379/3",
        PAGE_CACHE_REDIS_URL="redis://127.0.0.1:6379/4",
    )
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["pages", "redis://127.0.0.1:6379/4", "redis://127.0.0.1:6379/3"]
    assert pagecache.cache._alias == "default"  # this test run sets none


def test_the_dashboard_etag_is_the_page_caches_weak_one(client, record):
    """The home page's frame carries a CSRF token masked afresh in each answer,
    as the cached pages do: its ETag is weak too, and answers 304 to it."""
    client.get(reverse("tracker:home"))
    first = client.get(reverse("tracker:home"))
    assert first["ETag"].startswith('W/"')
    for sent in (first["ETag"], first["ETag"][2:]):
        assert client.get(reverse("tracker:home"), HTTP_IF_NONE_MATCH=sent).status_code == 304, sent
