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

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def enqueue(func_path: str, *args, **kwargs) -> str | None:
    """Queue `func_path(*args, **kwargs)`; returns the task id (None when eager)."""
    if getattr(settings, "TASKS_EAGER", False):
        import_string(func_path)(*args, **kwargs)
        return None
    from django_q.tasks import async_task

    return async_task(func_path, *args, **kwargs)


def enqueue_on_commit(func_path: str, *args, **kwargs) -> None:
    """Queue the task once the current transaction commits."""
    transaction.on_commit(lambda: enqueue(func_path, *args, **kwargs), robust=True)
