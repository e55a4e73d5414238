"""Issue 2's journey in a real browser: an editor records, a reviewer publishes."""

import pytest

from tests import factories as f
from tests.browser.conftest import login_cookie, screenshot
from tracker.models import Assessment, Commitment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def autocomplete(page, field_id: str, text: str) -> None:
    """Pick a value in an admin autocomplete (select2) field by typing, as a user does."""
    page.click(f"#{field_id} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.wait_for_selector(".select2-results__option--highlighted")
    page.keyboard.press("Enter")


def test_editor_records_and_reviewer_publishes(browser, live_url):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    f.make_framework(code="LPS-2017")
    pillar = f.make_pillar()
    f.make_institution(acronym="MDAC", name_fr="Ministère de la Défense")
    f.make_institution(acronym="MSPC", name_fr="Ministère de la Sécurité")

    # The editor creates a commitment, evidence and a draft assessment, then submits it.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    login_cookie(context, live_url, editor)
    page = context.new_page()
    page.goto(f"{live_url}/admin/tracker/commitment/add/")
    page.fill("#id_reference", "LPS-2017-99")
    autocomplete(page, "id_framework", "LPS-2017")
    autocomplete(page, "id_pillar", pillar.name_fr)
    page.fill("#id_title_fr", "Recruter 2 000 policiers")
    page.fill("#id_title_en", "Recruit 2,000 police officers")
    autocomplete(page, "id_lead_institution", "MSPC")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    commitment = Commitment.objects.get(reference="LPS-2017-99")

    page.goto(f"{live_url}/admin/tracker/evidence/add/?commitment={commitment.pk}")
    page.select_option("#id_kind", "news_report")
    page.fill("#id_publisher", "Le Républicain")
    page.fill("#id_title", "Recrutement lancé")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    evidence = commitment.evidence.get()

    page.goto(f"{live_url}/admin/tracker/assessment/add/?commitment={commitment.pk}&evidence={evidence.pk}")
    page.select_option("#id_status", "in_progress")
    page.fill("#id_as_of", "2024-08-01")
    page.fill("#id_summary_en", "The first wave was recruited.")
    page.click("input[name=_continue]")
    page.wait_for_selector("input[name=_submit_for_review]")
    page.click("input[name=_submit_for_review]")
    page.wait_for_selector(".messagelist .success")
    assessment = Assessment.objects.get(commitment=commitment)
    assert assessment.review_state == "submitted"
    screenshot(page, "admin-submitted-1280")
    context.close()

    # The reviewer publishes it; the commitment now shows the new status.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    login_cookie(context, live_url, reviewer)
    page = context.new_page()
    page.goto(f"{live_url}/admin/tracker/assessment/{assessment.pk}/change/")
    page.click("input[name=_publish]")
    page.wait_for_selector(".messagelist .success")
    page.goto(f"{live_url}/admin/tracker/commitment/{commitment.pk}/change/")
    assert "In progress" in page.inner_text(".field-current_status")
    context.close()
    commitment.refresh_from_db()
    assert (commitment.current_status, commitment.current_progress) == ("in_progress", 50)
