"""Background work through the task queue (django-q2).

By default the queue lives in the database (django-q2's ORM broker: no extra
service); with REDIS_URL set it uses Redis. The worker is `manage.py
qcluster`, started by `make run`. With TASKS_EAGER=true (the test suite) a
task runs at once, in the calling process.

Use `enqueue("package.module.function", *args)` from anywhere; inside a
service, `enqueue_on_commit(...)` so nothing is sent for a rolled-back change.
Task arguments must be simple values (ids, strings): the task re-reads the
database.
"""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


_brokers: dict[int, object] = {}


def broker():
    """This process's connection to the queue, made once: django-q2 makes a
    new one for every task otherwise (for Redis a new connection, about 1 ms
    of a publication). Kept per process id, so a forked worker never shares
    its parent's socket."""
    pid = os.getpid()
    if pid not in _brokers:
        from django_q.brokers import get_broker

        _brokers.clear()
        _brokers[pid] = get_broker()
    return _brokers[pid]


def enqueue(func_path: str, *args, **kwargs) -> str | None:
    """Queue `func_path(*args, **kwargs)`; returns the task id (None when eager)."""
    if getattr(settings, "TASKS_EAGER", False):
        import_string(func_path)(*args, **kwargs)
        return None
    from django_q.tasks import async_task

    return async_task(func_path, *args, broker=broker(), **kwargs)


def enqueue_on_commit(func_path: str, *args, **kwargs) -> None:
    """Queue the task once the current transaction commits."""
    transaction.on_commit(lambda: enqueue(func_path, *args, **kwargs), robust=True)
