"""Review of the page cache (tracker/pagecache.py, tracker/api/conditional.py,
tracker/insights/version.py): attempts to make it store or serve what it
must not, or serve a stale answer."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories as f
from tests import test_page_cache
from tests.test_page_cache import masked, pages

# The same fixtures as the cache's own tests: an emptied cache, a public record.
empty_cache = test_page_cache.empty_cache
record = test_page_cache.record

SECRETS = ("Brouillon secret", "Secret draft", "Confidential source", "Unpublished source")


def api_paths(record) -> list[str]:
    return [
        f"/api/v1/commitments/{record.reference}/",
        "/api/v1/assessments/",
        "/api/v1/evidence/",
        "/api/v1/commitments/",
    ]


def test_what_editors_partners_head_and_options_read_never_reaches_anonymous_readers(record):
    editor = Client()
    editor.force_login(f.make_editor())
    _key, raw = f.make_api_key()
    for path in pages(record) + api_paths(record):
        editor.get(path)
        Client().get(path, HTTP_AUTHORIZATION=f"Api-Key {raw}")
        Client().head(path, HTTP_AUTHORIZATION=f"Api-Key {raw}")
        Client().options(path)
    for path in pages(record) + api_paths(record):
        for _ in range(2):
            body = Client().get(path).content.decode()
            assert not any(s in body for s in SECRETS), path


def test_a_head_stores_the_whole_answer_for_a_later_get(record):
    for path in pages(record) + api_paths(record):
        head = Client().head(path)
        assert head.status_code == 200
        get = Client().get(path)
        assert get["X-Page-Cache"] == "hit", path
        assert len(get.content) > 100, path


def test_a_hit_has_the_headers_of_the_miss(record):
    for path in pages(record)[:3] + api_paths(record):
        miss = Client().get(path)
        hit = Client().get(path)
        assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
        names = {n.lower() for n in miss.headers} ^ {n.lower() for n in hit.headers}
        assert names == set(), (path, names)
        for name in miss.headers:
            if name.lower() not in (
                "etag",
                "x-page-cache",
                "set-cookie",
                "x-request-id",
                "content-security-policy",
                "content-length",
            ):
                assert miss[name] == hit[name], (path, name, miss[name], hit[name])


def test_a_change_of_a_static_file_is_a_new_release(monkeypatch, settings):
    """Pages name their stylesheet and icon by a hashed URL (manifest storage):
    a deploy that changes only site.css must not serve pages naming the
    previous file (which the new release no longer has) for PAGE_CACHE_SECONDS."""
    from pathlib import Path

    from tracker import pagecache

    settings.RELEASE = ""
    before = pagecache.release.__wrapped__()
    read_bytes = Path.read_bytes

    def edited(path):
        data = read_bytes(path)
        return data + b"\n/* edited */" if path.name == "site.css" else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert pagecache.release.__wrapped__() != before


@pytest.mark.postgres  # two connections, one writing: SQLite locks the table
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("outcome", ["rollback", "commit"])
def test_a_page_rendered_while_a_write_is_open_is_right_after_it_ends(outcome):
    """The token is replaced at the write, before the commit. A reader (another
    connection) rendering meanwhile sees the committed record and stores it
    under the new token: after a rollback that is still the record (right);
    after a commit the token is replaced again, so it is never served."""
    import threading

    from django.db import connection, transaction

    from tracker import services

    commitment = f.make_public_record(1)[0]
    editor = f.make_editor()
    path = reverse("tracker:commitment-detail", args=[commitment.reference])
    original = commitment.title_fr
    assert Client().get(path)["X-Page-Cache"] == "miss"
    written, finish = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                services.commitment_update(actor=editor, commitment=commitment, title_fr="Titre en cours")
                written.set()
                finish.wait(30)
                if outcome == "rollback":
                    raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(30)
    during = Client().get(path)
    assert during["X-Page-Cache"] == "miss"  # the token moved at the write
    assert original in during.content.decode() and "Titre en cours" not in during.content.decode()
    finish.set()
    thread.join(30)
    after = Client().get(path)
    body = after.content.decode()
    if outcome == "rollback":
        assert after["X-Page-Cache"] == "hit" and original in body and "Titre en cours" not in body
    else:
        assert after["X-Page-Cache"] == "miss" and "Titre en cours" in body


def test_an_edit_while_the_cache_refuses_the_token_is_seen_at_the_next_change(
    client, record, monkeypatch, django_capture_on_commit_callbacks
):
    """The record version's known limit (tracker/insights/version.py): a write
    while the shared cache refuses writes (a Redis restart or failover)
    leaves the token as it was, and an edit that moves no part of the
    database fingerprint (a title, a name, an evidence's visibility) is not
    seen while the old entries live. What bounds it, tested here: the next
    change made with the cache back, or the entries' expiry
    (PAGE_CACHE_SECONDS). A version kept by the database itself would close
    it; when it exists, the first assertion below must become "seen at once"."""
    from tracker import services
    from tracker.insights import version

    path = reverse("tracker:commitment-detail", args=[record.reference])
    client.get(path)
    assert client.get(path)["X-Page-Cache"] == "hit"
    real_set = version.cache.set

    def refusing(key, *args, **kwargs):
        if key == version.token_key():
            raise ConnectionError("cache unreachable")
        return real_set(key, *args, **kwargs)

    monkeypatch.setattr(version.cache, "set", refusing)
    with django_capture_on_commit_callbacks(execute=True):
        services.commitment_update(actor=f.make_editor(), commitment=record, title_fr="Titre corrigé")
    monkeypatch.undo()  # the cache is back, with its old entries
    assert "Titre corrigé" not in client.get(path).content.decode()  # the limit
    # Expiry ends it: the entry is gone, the page is rendered from the record.
    from django.core.cache import cache

    for key in test_page_cache.stored("html"):
        cache.delete(key.split(":", 2)[-1])
    assert "Titre corrigé" in client.get(path).content.decode()
    # So does the next change made while the cache works.
    with django_capture_on_commit_callbacks(execute=True):
        services.commitment_update(actor=f.make_editor(), commitment=record, title_fr="Titre final")
    assert "Titre final" in client.get(path).content.decode()


def test_a_page_etag_is_weak_as_its_bytes_change_with_each_answer(record):
    """Each answer masks the reader's CSRF token afresh: the same reader gets
    different bytes under the same ETag, which only a weak validator allows
    (RFC 9110 8.8.1); a strong one promises byte-identical bodies."""
    reader = Client()
    path = pages(record)[2]
    reader.get(path)
    one, two = reader.get(path), reader.get(path)
    assert one["ETag"] == two["ETag"] and one.content != two.content
    assert masked(one.content) == masked(two.content)
    assert one["ETag"].startswith('W/"')
    for sent in (one["ETag"], one["ETag"][2:], "*", f'"x", {one["ETag"]}'):
        assert reader.get(path, HTTP_IF_NONE_MATCH=sent).status_code == 304, sent
    assert reader.get(path, HTTP_IF_NONE_MATCH='W/"x"').status_code == 200
