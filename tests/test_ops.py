"""Operations: health check, request ids and JSON logs, env-driven cache,
sessions and media storage, and static files served by WhiteNoise."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError
from django.test import RequestFactory, override_settings

from tracker.logging import JsonFormatter, RequestIdFilter

BROKEN_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Nothing listens on port 1: every cache call fails at once.
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


# --- health check ------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_database_and_cache_ok_in_one_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_cache_is_down(client):
    with override_settings(CACHES=BROKEN_REDIS):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "error"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_down(client):
    broken = mock.Mock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch("tracker.health.connection", broken):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "cache": "ok"}


@pytest.mark.django_db
def test_healthz_is_not_redirected_to_https(client):
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert client.get("/healthz").status_code == 200
        assert client.get("/commitments/").status_code == 301


def test_probe_views_are_not_mounted_by_default(client):
    assert settings.OPS_PROBE_VIEWS is False
    assert client.get("/healthz/probe/cache?key=a").status_code == 404


# --- request ids and structured logs ---------------------------------------------


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tracker.request")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(old_level)


@pytest.mark.django_db
def test_every_response_gets_a_request_id_and_one_json_access_line(client, json_log):
    response = client.get("/healthz")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    [line] = json_log()
    assert line["request_id"] == request_id
    assert (line["method"], line["path"], line["status"], line["level"]) == ("GET", "/healthz", 200, "INFO")
    assert isinstance(line["duration_ms"], float)
    assert line["logger"] == "tracker.request"


@pytest.mark.django_db
def test_a_well_formed_upstream_request_id_is_kept_and_a_bad_one_replaced(client, json_log):
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21-0001"})
    assert kept["X-Request-ID"] == "lb-7f3a9c21-0001"
    replaced = client.get("/healthz", headers={"X-Request-ID": 'bad id"; drop'})
    assert replaced["X-Request-ID"] != 'bad id"; drop' and len(replaced["X-Request-ID"]) == 32
    assert [line["request_id"] for line in json_log()] == ["lb-7f3a9c21-0001", replaced["X-Request-ID"]]


def test_json_formatter_keeps_exceptions_and_marks_lines_outside_requests():
    logger = logging.getLogger("tracker.test_ops")
    try:
        raise ValueError("boom")
    except ValueError:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info(), extra={"n": 3}
        )
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert (line["message"], line["request_id"], line["n"]) == ("failed x", "-", 3)
    assert "ValueError: boom" in line["exception"]


# --- settings from the environment -------------------------------------------------


def _settings_in_subprocess(env: dict, expression: str) -> str:
    """Import the settings module fresh with `env` and print `expression`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_URL", "LOG_FORMAT"))}
    base.update({"DJANGO_SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"from django.core.files.storage import default_storage, storages; print({expression})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=base,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_redis_url_selects_the_redis_cache_and_cached_db_sessions():
    cache = 'settings.CACHES["default"]'
    expr = f'{cache}["BACKEND"], {cache}["LOCATION"], settings.SESSION_ENGINE'
    with_redis = _settings_in_subprocess({"REDIS_URL": "redis://127.0.0.1:6379/3"}, expr)
    assert with_redis.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/3",
        "django.contrib.sessions.backends.cached_db",
    ]
    without = _settings_in_subprocess({}, expr)
    assert without.split() == [
        "django.core.cache.backends.locmem.LocMemCache",
        "ssr-tracker",
        "django.contrib.sessions.backends.db",
    ]


def test_media_goes_to_s3_only_when_a_bucket_is_configured():
    expr = "type(storages['default']).__name__"
    assert _settings_in_subprocess({}, expr) == "FileSystemStorage"
    env = {
        "AWS_STORAGE_BUCKET_NAME": "evidence",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_S3_REGION_NAME": "us-east-1",
    }
    # Signed, expiring URLs at the configured endpoint (computed locally, no network).
    backend, url = _settings_in_subprocess(env, f"{expr}, default_storage.url('evidence/a.pdf')").split()
    assert backend == "S3Storage"
    assert url.startswith("http://127.0.0.1:9000/evidence/media/evidence/a.pdf?")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=600" in url


def test_logs_are_json_when_debug_is_off_and_text_when_asked():
    expr = 'settings.LOGGING["handlers"]["console"]["formatter"]'
    assert _settings_in_subprocess({"DJANGO_DEBUG": "false"}, expr) == "json"
    assert _settings_in_subprocess({"LOG_FORMAT": "text"}, expr) == "text"


# --- static files ------------------------------------------------------------------------


def test_collectstatic_then_whitenoise_serves_hashed_files_with_far_future_caching(tmp_path):
    from django.contrib.staticfiles.storage import staticfiles_storage
    from whitenoise.middleware import WhiteNoiseMiddleware

    assert settings.DEBUG is False
    assert settings.STORAGES["staticfiles"]["BACKEND"].endswith("CompressedManifestStaticFilesStorage")
    with override_settings(STATIC_ROOT=tmp_path):
        call_command("collectstatic", interactive=False, verbosity=0)
        url = staticfiles_storage.url("tracker/site.css")
        assert url != "/static/tracker/site.css" and url.endswith(".css")  # hashed name
        assert (Path(tmp_path) / url.removeprefix("/static/")).with_suffix(".css.gz").exists()
        middleware = WhiteNoiseMiddleware(lambda request: pytest.fail("not served by WhiteNoise"))
        response = middleware(RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip"))
        unhashed = middleware.files.get("/static/tracker/site.css")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert response["Content-Encoding"] == "gzip"
    # The unhashed name (if served at all) is not cached for years.
    assert unhashed is None or "immutable" not in dict(unhashed.get_response("GET", {}).headers).get(
        "Cache-Control", ""
    )


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_sessions_run_without_jit():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
