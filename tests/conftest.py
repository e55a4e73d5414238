import os

import pytest

from tests import factories


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker):
    """Production settings serve hashed static files from a manifest: build it
    once per run (into the temporary STATIC_ROOT of tests/env_defaults.py)."""
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture(autouse=True)
def _staff_sessions_pass_2fa(request):
    """Test modules that log staff in through a `staff_client` helper (or the
    browser tests' `login_cookie`) get sessions that passed two-factor
    authentication, as the admin requires (issue 6)."""
    for helper in ("staff_client", "login_cookie"):
        function = getattr(request.module, helper, None)
        if function is not None and not hasattr(function, "session_hook"):
            function.session_hook = factories.staff_session_hook
    yield


@pytest.fixture
def editor(db):
    return factories.make_editor()


@pytest.fixture
def reviewer(db):
    return factories.make_reviewer()


@pytest.fixture
def commitment(db, editor):
    return factories.make_commitment(actor=editor)


def pytest_configure(config):
    from django.conf import settings

    # Fast hashing in tests only: the suite creates many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _postgres_marker(request):
    """Tests marked `postgres` need PostgreSQL: skipped elsewhere, failed under CI."""
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("This test needs PostgreSQL (DATABASE_URL) under CI.", pytrace=False)
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture
def render_every_time(settings):
    """Turn the page cache off (tracker/pagecache.py) for tests that pin what
    rendering a page costs, or read the template context: a cached answer
    renders nothing. tests/test_page_cache.py tests the cache itself."""
    settings.PAGE_CACHE_SECONDS = 0
