"""Real-browser tests: Playwright for Python driving Debian's Chromium.

Never downloads a browser. Without /usr/bin/chromium the tests are skipped on a
developer's machine and FAIL under CI=true (CI must not pass by skipping).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the tests also use
# the ORM directly (fixtures), which Django otherwise refuses next to a loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots at 360 and 1280 px go to docs/screenshots/ (issue 4). A developer
# who does not want the committed ones rewritten sets SCREENSHOTS_DIR=tmp
# (a temporary folder) or any folder.
_screenshots_dir = os.environ.get("SCREENSHOTS_DIR", "")
SCREENSHOTS = (
    Path(tempfile.gettempdir()) / "ssr-tracker-screenshots"
    if _screenshots_dir == "tmp"
    else Path(_screenshots_dir or Path(__file__).resolve().parents[2] / "docs" / "screenshots")
)


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - pinned in requirements-dev.txt
        _unavailable("playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def plain_static_names(settings):
    """The live server's static handler serves files from the finders, which
    know `site.css` but not the manifest's hashed `site.<hash>.css`: without
    this the pages (and the admin's JavaScript) would load without their
    static files. WhiteNoise serves the hashed names in production (tested in
    tests/test_ops.py)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def live_url(live_server) -> str:
    return live_server.url


@pytest.fixture
def browser_context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def browser_page(browser_context):
    page = browser_context.new_page()
    yield page
    page.close()


def login_cookie(context, live_url: str, user) -> None:
    """Log `user` in by giving the browser a session made by the test client."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    extra = getattr(login_cookie, "session_hook", None)
    if extra:  # e.g. mark the session as having passed 2FA
        extra(client, user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_url,
            }
        ]
    )


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000, f"screenshot {name} is empty"


def seed_demo_record() -> dict:
    """A small published record for browser journeys (not the Mali seed)."""
    from tests import factories as f

    editor, reviewer = f.make_editor(), f.make_reviewer()
    segou = f.make_region(slug="segou", name="Ségou")
    police = f.make_institution(
        slug="police-nationale", acronym="PN", name_fr="Police nationale", name_en="National Police"
    )
    framework = f.make_framework(
        code="PSIRC-2017",
        name_fr="Plan de sécurisation intégré des régions du Centre",
        name_en="Integrated security plan for the central regions",
    )
    pillar = f.make_pillar(
        slug="police", name_fr="Police et sécurité intérieure", name_en="Police and internal security"
    )
    commitment = f.make_commitment(
        actor=editor,
        reference="PSIRC-2017-01",
        framework=framework,
        pillar=pillar,
        title_fr="Redéployer la police à Ségou",
        title_en="Redeploy the police in Ségou",
        lead_institution=police,
        regions=[segou],
        due_date=dt.date(2020, 12, 31),
    )
    evidence = f.make_evidence(
        commitment,
        actor=editor,
        title="Rapport sur le redéploiement",
        publisher="ISS",
        excerpt="Les forces ont été redéployées en partie.",
    )
    confidential = f.make_evidence(
        commitment,
        actor=editor,
        title="Source protégée",
        publisher="Témoin",
        visibility="confidential",
    )
    first = f.make_published_assessment(
        commitment,
        author=editor,
        reviewer=reviewer,
        status="initiated",
        as_of=dt.date(2018, 1, 1),
        evidence=[evidence, confidential],
    )
    second = f.make_published_assessment(
        commitment,
        author=editor,
        reviewer=reviewer,
        status="in_progress",
        as_of=dt.date(2022, 6, 1),
        evidence=[evidence],
    )
    draft = f.make_assessment(
        commitment, author=editor, status="completed", summary_en="Secret draft", evidence=[evidence]
    )
    return {
        "editor": editor,
        "reviewer": reviewer,
        "commitment": commitment,
        "evidence": evidence,
        "confidential": confidential,
        "assessments": [first, second],
        "draft": draft,
    }
