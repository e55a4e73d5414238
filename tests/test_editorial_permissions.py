"""Roles and organisation scope (issue 6): the permission matrix, through the
admin and the services, including another organisation's records."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tracker import services
from tracker.models import Assessment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world():
    """Two organisations; each role; a draft, a returned and a submitted
    assessment of organisation A; confidential evidence of organisation A."""
    org_a, org_b = f.make_organisation(), f.make_organisation()
    people = {
        "author": f.make_editor(organisation=org_a),
        "colleague": f.make_editor(organisation=org_a),
        "outsider": f.make_editor(organisation=org_b),
        "reviewer_b": f.make_reviewer(organisation=org_b),
        "administrator": f.make_user("Administrators", organisation=org_b),
        "superuser": f.make_user(None, organisation=org_b, is_superuser=True),
        "partner": f.make_user("Partners", organisation=f.make_organisation(kind="partner"), is_staff=False),
    }
    author = people["author"]
    commitment = f.make_commitment(actor=author)
    secret = f.make_evidence(commitment, actor=author, visibility="confidential", title="Source protégée")
    draft = f.make_assessment(commitment, author=author, evidence=[secret])
    returned = f.make_assessment(commitment, author=author, evidence=[secret])
    services.assessment_submit(actor=author, assessment=returned)
    services.assessment_return(actor=people["reviewer_b"], assessment=returned, comment="Source?")
    submitted = f.make_assessment(commitment, author=author, evidence=[secret])
    services.assessment_submit(actor=author, assessment=submitted)
    return {
        "people": people,
        "commitment": commitment,
        "secret": secret,
        "draft": draft,
        "returned": returned,
        "submitted": submitted,
    }


def client_for(client, user):
    return f.login_staff(client, user)


# who: (sees draft, sees returned, sees submitted, sees secret, changes secret)
MATRIX = {
    "author": (True, True, True, True, True),
    "colleague": (True, True, True, True, True),
    "outsider": (False, False, True, False, False),
    "reviewer_b": (False, False, True, True, False),
    "administrator": (False, False, True, True, False),
    "superuser": (True, True, True, True, True),
}


@pytest.mark.parametrize("who", MATRIX)
def test_admin_change_pages_follow_the_scope(client, world, who):
    sees_draft, sees_returned, sees_submitted, sees_secret, changes_secret = MATRIX[who]
    client_for(client, world["people"][who])
    for name, expected in (("draft", sees_draft), ("returned", sees_returned), ("submitted", sees_submitted)):
        url = reverse("admin:tracker_assessment_change", args=[world[name].pk])
        response = client.get(url)
        # Django's admin redirects to its index for an object it cannot find.
        assert (response.status_code == 200) is expected, (who, name, response.status_code)
    secret_url = reverse("admin:tracker_evidence_change", args=[world["secret"].pk])
    response = client.get(secret_url)
    assert (response.status_code == 200) is sees_secret, (who, response.status_code)
    if sees_secret:
        editable = b'name="title"' in response.content
        assert editable is changes_secret, who


@pytest.mark.parametrize("who", MATRIX)
def test_admin_changelists_list_only_what_the_scope_allows(client, world, who):
    sees_draft, sees_returned, _, sees_secret, _ = MATRIX[who]
    client_for(client, world["people"][who])
    listed = client.get(reverse("admin:tracker_assessment_changelist")).context["cl"].result_list
    ids = {a.pk for a in listed}
    assert (world["draft"].pk in ids) is sees_draft
    assert (world["returned"].pk in ids) is sees_returned
    assert world["submitted"].pk in ids
    evidence = client.get(reverse("admin:tracker_evidence_changelist")).context["cl"].result_list
    assert (world["secret"].pk in {e.pk for e in evidence}) is sees_secret


@pytest.mark.parametrize("who", ["outsider", "reviewer_b", "administrator"])
def test_history_of_another_organisations_draft_is_hidden(client, world, who):
    client_for(client, world["people"][who])
    for view in ("history", "history_diff"):
        response = client.get(reverse(f"admin:tracker_assessment_{view}", args=[world["draft"].pk]))
        assert response.status_code in (403, 404), (view, response.status_code)


def test_outsider_cannot_change_or_submit_another_organisations_draft_by_posting(client, world):
    outsider = world["people"]["outsider"]
    client_for(client, outsider)
    client.post(reverse("admin:tracker_assessment_submit", args=[world["draft"].pk]))
    world["draft"].refresh_from_db()
    assert world["draft"].review_state == "draft"
    with pytest.raises(PermissionDenied):
        services.assessment_update(actor=outsider, assessment=world["draft"], summary_en="Hijacked")
    with pytest.raises(PermissionDenied):
        services.assessment_submit(actor=outsider, assessment=world["draft"])


def test_services_refuse_another_organisations_confidential_evidence(world):
    outsider, reviewer = world["people"]["outsider"], world["people"]["reviewer_b"]
    for actor in (outsider, reviewer):
        with pytest.raises(PermissionDenied) as exc:
            services.evidence_update(actor=actor, evidence=world["secret"], title="Renamed")
        assert str(exc.value) == "This confidential evidence belongs to another organisation."
    with pytest.raises(ValidationError) as exc:
        f.make_assessment(world["commitment"], author=outsider, evidence=[world["secret"]])
    assert exc.value.message_dict["evidence"] == [
        "This confidential evidence belongs to another organisation."
    ]
    # The author's colleague may change it.
    updated = services.evidence_update(
        actor=world["people"]["colleague"], evidence=world["secret"], title="Ok"
    )
    assert updated.title == "Ok"


@pytest.mark.parametrize(
    "who,may_review",
    [
        ("author", False),
        ("colleague", False),
        ("outsider", False),
        ("reviewer_b", True),
        ("administrator", True),
    ],
)
def test_publish_and_return_matrix_through_the_admin(client, world, who, may_review):
    client_for(client, world["people"][who])
    submitted = world["submitted"]
    response = client.post(reverse("admin:tracker_assessment_publish", args=[submitted.pk]), follow=True)
    submitted.refresh_from_db()
    assert (submitted.review_state == "published") is may_review
    if not may_review:
        text = response.content.decode()
        assert "permission" in text or "cannot review your own" in text


def test_reviewer_cannot_return_own_work_through_the_admin(client):
    reviewer = f.make_reviewer()
    assessment = f.make_assessment(f.make_commitment(actor=reviewer), author=reviewer)
    services.assessment_submit(actor=reviewer, assessment=assessment)
    client_for(client, reviewer)
    response = client.post(
        reverse("admin:tracker_assessment_return", args=[assessment.pk]), {"comment": "no"}, follow=True
    )
    assert "You cannot review your own assessment" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.review_state == "submitted"


def test_partner_is_api_only_and_cannot_enter_the_admin(client, world):
    partner = world["people"]["partner"]
    client.force_login(partner)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert client.get(reverse("editorial:home")).status_code == 302


def test_anonymous_is_sent_to_the_login(client, world):
    for url in (reverse("admin:tracker_assessment_changelist"), reverse("editorial:home")):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_roles_exist_with_their_permissions():
    administrators = Group.objects.get(name="Administrators")
    codenames = set(administrators.permissions.values_list("codename", flat=True))
    assert {"review_assessment", "change_user", "add_organisation", "change_membership"} <= codenames
    partners = set(Group.objects.get(name="Partners").permissions.values_list("codename", flat=True))
    assert "review_assessment" not in partners and "add_evidence" in partners
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    assert "review_assessment" not in editors and "change_user" not in editors


def test_partner_submission_enters_the_review_queue_and_stays_private_before(world):
    partner = world["people"]["partner"]
    commitment = world["commitment"]
    evidence = f.make_evidence(commitment, actor=partner)
    draft = services.assessment_create(
        actor=partner, commitment=commitment, status="initiated", as_of="2024-07-01", evidence=[evidence]
    )
    reviewer = world["people"]["reviewer_b"]
    from tracker.services.permissions import assessments_visible_to

    assert not assessments_visible_to(reviewer, Assessment.objects.filter(pk=draft.pk)).exists()
    services.assessment_submit(actor=partner, assessment=draft)
    assert assessments_visible_to(reviewer, Assessment.objects.filter(pk=draft.pk)).exists()


def _user_form_data(user, **extra) -> dict:
    data = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": user.date_joined.date().isoformat(),
        "date_joined_1": "00:00:00",
    }
    data.update(extra)
    return data


def test_administrator_manages_people_but_cannot_make_a_superuser(client, world):
    """Administrators give roles (groups); ticking "superuser status" or
    handing out single permissions is a superuser's act, on their own account
    too (it was open to any Administrator: a privilege escalation)."""
    administrator = world["people"]["administrator"]
    client_for(client, administrator)
    url = reverse("admin:auth_user_change", args=[administrator.pk])
    html = client.get(url).content.decode()
    assert 'name="is_superuser"' not in html
    assert 'name="user_permissions"' not in html
    editors = Group.objects.get(name="Editors")
    response = client.post(url, _user_form_data(administrator, is_superuser="on", groups=[editors.pk]))
    assert response.status_code == 302
    administrator.refresh_from_db()
    assert not administrator.is_superuser
    assert list(administrator.groups.all()) == [editors]  # roles are theirs to give


def test_administrator_cannot_change_a_superusers_account_or_password(client, world):
    administrator, superuser = world["people"]["administrator"], world["people"]["superuser"]
    client_for(client, administrator)
    response = client.post(
        reverse("admin:auth_user_change", args=[superuser.pk]),
        _user_form_data(superuser, email="x@example.org"),
    )
    assert response.status_code == 403
    password = reverse("admin:auth_user_password_change", args=[superuser.pk])
    assert client.get(password).status_code == 403
    client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_accounts", "_selected_action": [superuser.pk]},
    )
    superuser.refresh_from_db()
    assert superuser.is_active and superuser.email != "x@example.org"


def test_a_superuser_still_makes_superusers(client, world):
    superuser, editor = world["people"]["superuser"], world["people"]["colleague"]
    client_for(client, superuser)
    url = reverse("admin:auth_user_change", args=[editor.pk])
    assert 'name="is_superuser"' in client.get(url).content.decode()
    assert client.post(url, _user_form_data(editor, is_superuser="on")).status_code == 302
    editor.refresh_from_db()
    assert editor.is_superuser
