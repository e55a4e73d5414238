"""Issue 4's journeys in real Chromium: a newcomer finds a commitment by
search, filters the list, opens it, reads its evidence, switches language,
views the dashboard as of a past date and exports CSV. Screenshots at 360 px
and 1280 px go to docs/screenshots/."""

from __future__ import annotations

import importlib

import pytest

from tests.browser.conftest import screenshot, seed_demo_record

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("groups_after_flush"),
]


@pytest.fixture
def groups_after_flush():
    """Transactional tests start from a flushed database: put back the groups
    the data migration creates (serialized_rollback breaks on SQLite when a
    non-transactional test ran before)."""
    from django.contrib.auth.models import Group, Permission

    migration = importlib.import_module("tracker.migrations.0002_search_index_and_groups")
    for name, codenames in (
        ("Editors", migration.EDITOR_PERMS),
        ("Reviewers", migration.EDITOR_PERMS + migration.REVIEWER_EXTRA),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        )


def test_stylesheet_is_served(browser_page, live_url):
    response = browser_page.goto(f"{live_url}/about/")
    assert response.status == 200
    href = browser_page.evaluate("document.querySelector('link[rel=stylesheet]').href")
    assert browser_page.goto(href).status == 200


def test_find_filter_open_read_switch_language(browser_page, live_url):
    seed_demo_record()
    page = browser_page

    # Keyboard first: the skip link is the first stop and leads to the content.
    page.goto(f"{live_url}/commitments/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"

    # Search without the accent: "segou" finds "Ségou".
    page.fill("#id_q", "segou")
    page.click("form.filters button[type=submit]")
    assert page.locator("table.rows tbody tr").count() == 1
    assert page.locator("text=PSIRC-2017-01").first.is_visible()

    # Filter by status and framework (checkboxes and a select, no JavaScript needed).
    page.goto(f"{live_url}/commitments/")
    page.check("input[name=status][value=in_progress]")
    page.select_option("#id_framework", "PSIRC-2017")
    page.click("form.filters button[type=submit]")
    assert "status=in_progress" in page.url and "framework=PSIRC-2017" in page.url
    assert page.locator("p[role=status]").inner_text().startswith("1 engagement trouvé.")
    page.check("input[name=status][value=completed]")
    page.uncheck("input[name=status][value=in_progress]")
    page.click("form.filters button[type=submit]")
    assert page.locator("p[role=status]").inner_text().startswith("0 engagement trouvé.")

    # Open it and read its evidence; confidential evidence and drafts are not there.
    page.goto(f"{live_url}/commitments/?q=police")
    page.click("a:text('PSIRC-2017-01')")
    page.wait_for_url("**/commitments/PSIRC-2017-01/")
    assert page.locator("h1").inner_text().endswith("Redéployer la police à Ségou")
    timeline = page.locator("section[aria-labelledby=timeline-h]")
    assert "Rapport sur le redéploiement" in timeline.inner_text()
    assert "Les forces ont été redéployées en partie." in timeline.inner_text()
    body = page.locator("body").inner_text()
    assert "Source protégée" not in body and "Secret draft" not in body
    assert "en retard" in body

    # Switch language with the (JavaScript-free) form: same page, now in English.
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.url.endswith("/commitments/PSIRC-2017-01/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text().endswith("Redeploy the police in Ségou")
    assert "Assessments and evidence" in page.locator("body").inner_text()


def test_dashboard_as_of_a_past_date(browser_page, live_url):
    seed_demo_record()
    page = browser_page
    page.goto(f"{live_url}/")
    assert page.locator("svg[role=img]").count() >= 2
    page.fill("#id_as_of", "2019-01-01")
    page.click("form[aria-label='Voyage dans le temps'] button")
    page.wait_for_url("**/?as_of=2019-01-01")
    assert "tel qu’il était le 1er janvier 2019" in page.locator(".asof").inner_text()
    latest = page.locator("section[aria-labelledby=latest-h]").inner_text()
    assert "Amorcé" in latest and "En cours" not in latest


def test_export_csv_of_the_filtered_list(browser_page, live_url):
    seed_demo_record()
    page = browser_page
    page.goto(f"{live_url}/commitments/?q=segou")
    with page.expect_download() as info:
        page.click("a[href^='/commitments/export.csv']")
    path = info.value.path()
    text = open(path, encoding="utf-8-sig").read()
    lines = text.strip().splitlines()
    assert lines[0].startswith("reference,title_fr,title_en")
    assert len(lines) == 2 and lines[1].startswith("PSIRC-2017-01,")


@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots(browser, live_url, width):
    record = seed_demo_record()
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    pages = {
        "dashboard": "/",
        "list": "/commitments/",
        "commitment": record["commitment"].get_absolute_url(),
        "dashboard-as-of": "/?as_of=2019-01-01",
    }
    for name, path in pages.items():
        page.goto(f"{live_url}{path}")
        # Nothing overflows the viewport sideways (the 360 px layout holds).
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{name} overflows by {overflow}px at {width}px"
        screenshot(page, f"public-{name}-{width}")
    context.close()


def test_no_public_page_scrolls_sideways_on_a_phone(browser, live_url):
    """At 360 px every public page fits the screen: code samples and long
    links wrap or scroll inside their own box, not the whole page."""
    record = seed_demo_record()
    commitment = record["commitment"]
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="fr-FR")
    page = context.new_page()
    paths = [
        "/about/",
        "/about/api/",
        "/methodology/",
        "/changes/?start=2000-01-01",
        f"/frameworks/{commitment.framework.code}/",
        f"/pillars/{commitment.pillar.slug}/",
        "/institutions/police-nationale/",
        "/regions/segou/",
    ]
    wide = {}
    for path in paths:
        response = page.goto(f"{live_url}{path}")
        assert response.status == 200, path
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 1:
            wide[path] = overflow
    context.close()
    assert wide == {}, f"pages wider than a 360 px screen: {wide}"


def test_filters_fold_on_a_phone_and_show_on_a_wide_screen(browser, live_url):
    """The list's filters other than the search box fold into <details> at
    360 px (one tap opens them, no JavaScript) and show at once at 1280 px;
    no request of the page fails (the favicon is served from static)."""
    seed_demo_record()
    for width in (360, 1280):
        context = browser.new_context(
            viewport={"width": width, "height": 800}, locale="fr-FR", java_script_enabled=False
        )
        page = context.new_page()
        failed: list[str] = []
        page.on("response", lambda r, failed=failed: failed.append(r.url) if r.status >= 400 else None)
        page.goto(f"{live_url}/commitments/")
        assert page.locator("#id_q").is_visible()
        if width == 360:
            assert not page.locator("#id_framework").is_visible()
            page.click("details.more > summary")
        assert page.locator("#id_framework").is_visible()
        page.select_option("#id_top_level", "true")
        page.click("form.filters button[type=submit]")
        assert "top_level=true" in page.url
        assert page.locator("details.more").get_attribute("open") is not None
        assert failed == []
        context.close()
