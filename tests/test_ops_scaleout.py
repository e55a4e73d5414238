"""Scale-out: two app server processes (gunicorn) on one PostgreSQL database
and one Redis keep no state of their own. A session made on A works on B, a
cache entry written through A is read through B, the API rate limit
counts the requests of both, a task queued through either server is run
by the one task worker, and a public answer cached by A is served by B
until a write through A changes the record.

Needs PostgreSQL (the test database is shared with the servers) and Redis on
127.0.0.1:6379; uses Redis database 5 only (flushed at start).
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests import factories

REDIS_URL = "redis://127.0.0.1:6379/5"
PASSWORD = "a-long-test-password-123"
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = urllib.parse.quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _server_env(static_root) -> dict:
    """The environment of the app servers and of the task worker."""
    return dict(
        os.environ,
        DATABASE_URL=_database_url(),
        REDIS_URL=REDIS_URL,
        OPS_PROBE_VIEWS="true",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="scale-out-test-secret-key-0123456789-abcdefghijklmnop",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(static_root),
        API_RATE_ANONYMOUS="2/minute",
        WEB_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
        TASKS_EAGER="false",
    )


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """The servers run with DEBUG off, so with the hashed static files."""
    root = tmp_path_factory.mktemp("static")
    env = dict(os.environ, STATIC_ROOT=str(root))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    return root


@pytest.fixture
def two_servers(transactional_db, collected_static, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).flushdb()
    except redis.RedisError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    connection.close()  # the servers must see committed rows only
    env = _server_env(collected_static)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    servers, urls = [], []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = (tmp_path / f"{name}.log").open("w")
            servers.append(
                subprocess.Popen(
                    [gunicorn, "-c", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "config.wsgi"],
                    cwd=settings.BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, server in zip(urls, servers, strict=True):
            _wait_healthy(url, server, tmp_path)
        yield urls
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def _wait_healthy(url: str, server: subprocess.Popen, logs: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"app server exited: {[p.read_text()[-2000:] for p in logs.glob('*.log')]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                assert json.loads(response.read()) == {"status": "ok", "database": "ok", "cache": "ok"}
                return
        except OSError:  # not listening yet, or still booting
            time.sleep(0.2)
    pytest.fail(f"{url} did not become healthy")


class Browser:
    """Cookies for 127.0.0.1 are shared by every port, as in a browser behind one site name."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(url, timeout=10) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, url, error.read().decode()

    def post(self, url: str, data: dict) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(urllib.request.Request(url, data=body, method="POST"), timeout=10) as response:
            return response.status, response.geturl(), response.read().decode()

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


def test_login_on_server_a_is_valid_on_server_b(two_servers):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    a, b = two_servers
    user = factories.make_editor()
    # The servers run with the production hashers (the suite's MD5 is unknown to them).
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    browser = Browser()
    status, _, page = browser.get(f"{a}/admin/login/?next=/admin/")
    assert status == 200
    form = {
        "csrfmiddlewaretoken": html.unescape(
            re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        ),
        "username": user.username,
        "password": PASSWORD,
        "otp_device": device.persistent_id,
        "otp_token": f"{totp(device.bin_key):06d}",
        "next": "/admin/",
    }
    status, landed, page = browser.post(f"{a}/admin/login/", form)
    errors = re.findall(r'class="errornote">\s*([^<]+)|<ul class="errorlist[^>]*>(.*?)</ul>', page, re.S)
    assert errors == [] and (status, urllib.parse.urlsplit(landed).path) == (200, "/admin/")
    assert browser.cookie("sessionid")
    # The same session cookie, on the other server: still logged in (and verified).
    status, landed, page = browser.get(f"{b}/admin/")
    assert (status, urllib.parse.urlsplit(landed).path) == (200, "/admin/")
    assert user.username in page
    assert json.loads(browser.get(f"{b}/healthz/probe/session")[2])["user"] == user.username


def test_session_cache_and_rate_limit_state_is_shared_between_servers(two_servers):
    a, b = two_servers
    browser = Browser()
    # Session: each server increments the counter the other one wrote.
    counts = [json.loads(browser.get(f"{url}/healthz/probe/session")[2])["count"] for url in (a, b, a, b)]
    assert counts == [1, 2, 3, 4]
    # Cache: written through A, read through B.
    assert json.loads(browser.get(f"{a}/healthz/probe/cache?key=k1&set=hello")[2]) == {"value": "hello"}
    assert json.loads(browser.get(f"{b}/healthz/probe/cache?key=k1")[2]) == {"value": "hello"}
    assert json.loads(browser.get(f"{b}/healthz/probe/cache?key=other")[2]) == {"value": None}
    # Rate limit (2 anonymous API requests a minute): counted across both servers.
    anonymous = Browser()
    statuses = [anonymous.get(f"{url}/api/v1/pillars/")[0] for url in (a, b, a, b)]
    assert statuses == [200, 200, 429, 429]


def test_a_page_cached_by_one_server_is_served_by_the_other_until_a_write(two_servers):
    """The page cache (tracker/pagecache.py) lives in the shared Redis, and
    so does the record version: a write through A is seen by B's next read."""
    a, b = two_servers
    commitment = factories.make_commitment(reference="LPS-2017-04")
    _key, raw = factories.make_api_key(factories.make_partner(slug="partner-x"), scope="submit")
    connection.close()

    def read(url: str, path: str) -> tuple[str, bytes]:
        # Behind a load balancer every server is asked for the site's one
        # host name (the host is part of the cache key: the API's links are
        # absolute), not for its own port.
        request = urllib.request.Request(f"{url}{path}", headers={"Host": "127.0.0.1"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers["X-Page-Cache"], response.read()

    page = f"/commitments/{commitment.reference}/"
    assert read(a, page)[0] == "miss"
    assert read(b, page)[0] == "hit"
    # The API (rate limit: 2 anonymous reads a minute per address, counted
    # across both servers: this test stays within it).
    api = f"/api/v1/commitments/{commitment.reference}/"
    first = read(a, api)
    again = read(b, api)
    assert (first[0], again[0]) == ("miss", "hit") and again[1] == first[1]
    body = factories.submission_body(commitment.reference)
    request = urllib.request.Request(
        f"{a}/api/v1/submissions/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Api-Key {raw}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
    # The record changed through A: B renders its next answer again.
    assert read(b, page)[0] == "miss"
    assert read(a, page)[0] == "hit"


def test_tasks_queued_through_either_server_run_on_one_worker(two_servers, collected_static, tmp_path):
    """The task queue (django-q2, broker in the shared Redis): a task queued
    through A and one queued through B are both run by one `qcluster` worker
    started on its own, and what they write is read through either server."""
    a, b = two_servers
    browser = Browser()
    for url, key in ((a, "task-a"), (b, "task-b")):
        status, _, body = browser.get(f"{url}/healthz/probe/task?key={key}")
        assert status == 200 and json.loads(body)["queued"]
    # Nothing runs them until a worker starts: they wait in the queue.
    assert json.loads(browser.get(f"{a}/healthz/probe/cache?key=task-a")[2]) == {"value": None}
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=settings.BASE_DIR,
        env=_server_env(collected_static),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        done = {}
        while time.monotonic() < deadline and len(done) < 2:
            for url, key in ((b, "task-a"), (a, "task-b")):  # each read through the other server
                value = json.loads(browser.get(f"{url}/healthz/probe/cache?key={key}")[2])["value"]
                if value:
                    done[key] = value
            time.sleep(0.5)
        assert set(done) == {"task-a", "task-b"}, (tmp_path / "worker.log").read_text()[-2000:]
        assert all(value.startswith("done by worker ") for value in done.values())
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
