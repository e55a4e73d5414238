"""The record version: a short string that changes whenever anything the
public site shows may have changed. The dashboard's cache keys and ETag, and
the page cache's keys (tracker/pagecache.py), are derived from it.

It combines two parts, so that a lost cache entry or a write that sends no
signal but adds rows cannot make a reader see a stale record:

- a random **token** kept in the shared cache (Redis in production, so every
  app server sees the same one), replaced on every save, delete or
  many-to-many change of a `tracker` model: at once (so the process that
  writes never reads its own old figures) and again when the transaction
  commits (so a figure computed by another server between the write and
  the commit is never reused). A token that was evicted is simply replaced:
  the entries cached under the old one are orphaned, never served;
- a **database fingerprint**, one query of three index look-ups (the highest
  commitment and assessment keys, the latest publication time): it changes
  when rows are added or an assessment is published by a path that sends
  no signal (bulk inserts such as `generate_benchmark_data`, another
  program writing to the database).

Once the write has committed and the token is replaced, a task computes the
figures again (`schedule_warming`, tracker/insights/tasks.py), so that the
first reader after a publication finds them cached.

Known limit: an edit that adds no row and publishes nothing (a title, a
name, an evidence item's visibility) is seen only through the token. If the
shared cache refuses the token's replacement (Redis restarting or failing
over at that moment) and then comes back with its old entries, readers get
the previous page until the next change or until the entries expire
(`PAGE_CACHE_SECONDS`, 600 s for pages; a day for the dashboard's figures).
The failure is logged ("could not replace the record token"); clearing the
cache, or any later change, ends it. `tests/test_page_cache_review.py` holds
this case as an expected failure.

The token is kept per database (its name is part of the token's cache key):
several databases may share one Redis (the benchmark's `bench_<size>`
databases do), and a write to one must not empty the others' caches.
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "insights:record-token:"
WARMING_PREFIX = "insights:warming-queued:"
WARMING_WAIT = 300  # seconds: a lost task does not stop warming for longer
# Models of these apps are what the dashboard shows.
WATCHED_APPS = frozenset({"tracker"})


def token_key() -> str:
    """The token's cache key: one token per database."""
    return TOKEN_PREFIX + str(settings.DATABASES["default"]["NAME"])


def _new_token() -> str:
    return uuid.uuid4().hex


def token() -> str:
    """The current token, made when the cache has none."""
    key = token_key()
    value = cache.get(key)
    if value is None:
        cache.add(key, _new_token(), timeout=None)
        value = cache.get(key)
    return value or _new_token()


def bump() -> None:
    """A new token: every cached dashboard figure is orphaned."""
    try:
        cache.set(token_key(), _new_token(), timeout=None)
    except Exception:  # the cache being down must not break a write; the
        # fingerprint and the token's absence still keep readers correct
        logger.exception("insights: could not replace the record token")


def fingerprint() -> tuple:
    """One query, three index look-ups (see the module's docstring)."""
    from tracker.models import Assessment, Commitment

    quote = connection.ops.quote_name
    commitments, assessments = quote(Commitment._meta.db_table), quote(Assessment._meta.db_table)
    # Only the models' own quoted table names are formatted in; the value is bound.
    sql = (
        f"SELECT (SELECT MAX(id) FROM {commitments}), (SELECT MAX(id) FROM {assessments}), "  # noqa: S608  # nosec B608
        f"(SELECT MAX(published_at) FROM {assessments} WHERE review_state = %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Assessment.ReviewState.PUBLISHED.value])
        return tuple(cursor.fetchone())


def record_version() -> str:
    """Token + fingerprint + database name, hashed (16 hex digits)."""
    parts = (settings.DATABASES["default"]["NAME"], token(), *fingerprint())
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _changed(sender, **kwargs) -> None:
    if sender._meta.app_label not in WATCHED_APPS:
        return
    if hasattr(sender, "instance_type"):
        # A django-simple-history row: written right after the save of the
        # row it copies, which replaced the token already (a publication's
        # two history rows replaced it twice more).
        return
    if kwargs.get("action", "post_")[:5] != "post_":  # m2m_changed: pre_add, pre_remove, pre_clear
        return
    bump()
    using = kwargs.get("using")
    if not _after_commit_pending(using):  # once per transaction, however many rows it writes
        transaction.on_commit(_after_commit, using=using, robust=True)


def _after_commit() -> None:
    bump()
    schedule_warming()  # after the bump: the task must see the new version


def _after_commit_pending(using: str | None) -> bool:
    """Whether this transaction has queued `_after_commit` already (Django keeps
    the callbacks as (savepoint ids, function, robust); a rolled-back
    savepoint's are dropped, so a later write registers it again)."""
    conn = transaction.get_connection(using)
    if not conn.in_atomic_block:
        return False
    return any(entry[1] is _after_commit for entry in getattr(conn, "run_on_commit", ()))


def warming_key() -> str:
    return WARMING_PREFIX + str(settings.DATABASES["default"]["NAME"])


def schedule_warming() -> None:
    """Queue `warm_dashboard` (after the token's bump on commit), at most one
    waiting at a time: a bulk load of thousands of writes queues one or two.
    Not when tasks run eagerly (tests, no worker): the writer would pay for it."""
    if getattr(settings, "TASKS_EAGER", False):
        return
    from tracker.tasks import enqueue

    if cache.add(warming_key(), "1", timeout=WARMING_WAIT):
        enqueue("tracker.insights.tasks.warm_dashboard")


def connect_signals() -> None:
    for name, signal in (("save", post_save), ("delete", post_delete), ("m2m", m2m_changed)):
        signal.connect(_changed, dispatch_uid=f"insights-record-version-{name}")
