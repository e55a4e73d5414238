"""The CSP in a real browser: Chromium reports no violation on the pages most
likely to need inline script or style (the admin's change, history and export
pages, the public dashboard and a commitment page), and the export page's
"Select all" box works without its inline handler (issue 7;
tests/test_security_csp_markup.py checks the markup of every page)."""

import pytest

from tests import factories as f
from tests.browser.conftest import login_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csp_violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


def test_no_csp_violation_and_select_all_works_on_the_export_page(browser, live_url):
    admin = f.make_user(group=None, is_superuser=True)
    commitment = f.make_commitment(actor=admin)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    login_cookie(context, live_url, admin)
    page = context.new_page()
    violations = csp_violations(page)
    for path in (
        "/",
        commitment.get_absolute_url(),
        f"/admin/tracker/commitment/{commitment.pk}/change/",
        f"/admin/tracker/commitment/{commitment.pk}/history/",
    ):
        page.goto(live_url + path)
        page.wait_for_load_state("load")

    page.goto(f"{live_url}/admin/tracker/commitment/export/")
    fields = page.locator(".selectable-field-export-row input[type=checkbox]")
    assert fields.count() >= 2
    page.uncheck("input.select-toggle")
    assert all(not fields.nth(i).is_checked() for i in range(fields.count()))
    page.check("input.select-toggle")
    assert all(fields.nth(i).is_checked() for i in range(fields.count()))
    assert violations == []
    context.close()
