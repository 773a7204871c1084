"""Who may enter the admin, and what each role sees of projects, members and the audit log."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from indus.tenancy.models import AuditEntry, Membership, Role

pytestmark = pytest.mark.django_db


def sign_in(username: str, password: str = "pw") -> tuple[Client, object]:
    client = Client()
    response = client.post(reverse("admin:login"), {"username": username, "password": password,
                                                    "next": reverse("admin:index")})
    return client, response


def test_a_project_member_signs_in_without_being_staff(project):
    member = get_user_model().objects.create_user(username="bob", password="pw")
    Membership.objects.create(project=project, user=member, role=Role.VIEWER)
    assert not member.is_staff
    client, response = sign_in("bob")
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_user_of_no_project_is_told_why_they_cannot_enter(db):
    get_user_model().objects.create_user(username="carol", password="pw")
    client, response = sign_in("carol")
    assert response.status_code == 200
    assert "belongs to no project yet" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302  # back to the login page


def test_members_see_only_their_projects(admin_client_as, project, other_project):
    viewer = admin_client_as(Role.VIEWER)
    listing = viewer.get(reverse("admin:tenancy_project_changelist")).content.decode()
    assert project.slug in listing and other_project.slug not in listing
    # Another project's page does not exist for them, as in the API.
    response = viewer.get(reverse("admin:tenancy_project_change", args=[other_project.pk]))
    assert response.status_code == 404 and other_project.name not in response.content.decode()


def test_only_owners_manage_members(admin_client_as, project):
    editor = admin_client_as(Role.EDITOR)
    page = editor.get(reverse("admin:tenancy_membership_changelist")).content.decode()
    assert "editor-member" in page  # members are visible to every member...
    assert reverse("admin:tenancy_membership_add") not in page  # ...but only owners add them
    newcomer = get_user_model().objects.create_user(username="dave", password="pw")
    response = editor.post(reverse("admin:tenancy_membership_add"),
                           {"project": project.pk, "user": newcomer.pk, "role": Role.OWNER})
    assert response.status_code == 403
    assert not Membership.objects.filter(user=newcomer).exists()

    owner = admin_client_as(Role.OWNER, username="olivia")
    response = owner.post(reverse("admin:tenancy_membership_add"),
                          {"project": project.pk, "user": newcomer.pk, "role": Role.VIEWER})
    assert response.status_code == 302
    assert Membership.objects.get(user=newcomer).role == Role.VIEWER


def test_an_owner_cannot_add_members_to_a_project_they_do_not_own(admin_client_as, other_project):
    owner = admin_client_as(Role.OWNER)
    newcomer = get_user_model().objects.create_user(username="dave", password="pw")
    response = owner.post(reverse("admin:tenancy_membership_add"),
                          {"project": other_project.pk, "user": newcomer.pk, "role": Role.VIEWER})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Membership.objects.filter(user=newcomer).exists()


def test_the_audit_log_is_for_owners_of_the_project(admin_client_as, user, project, other_project):
    for where in (project, other_project):
        AuditEntry.objects.create(project=where, actor=user, actor_username=user.username,
                                  action=f"dataset.upload.{where.slug}", object_type="project", object_id=str(where.pk))
    owner = admin_client_as(Role.OWNER)
    log = owner.get(reverse("admin:tenancy_auditentry_changelist")).content.decode()
    assert f"dataset.upload.{project.slug}" in log and f"dataset.upload.{other_project.slug}" not in log
    # An editor reads no project's log: the list holds only their own token entries (none here).
    editor = admin_client_as(Role.EDITOR).get(reverse("admin:tenancy_auditentry_changelist"))
    assert editor.status_code == 200 and list(editor.context["cl"].result_list) == []
    assert AuditEntry.objects.count() == 2


def test_the_last_owner_can_be_neither_demoted_nor_removed(admin_client_as, user, project):
    # `user` (alice) is the project's only owner until another is made.
    owner = Client()
    owner.force_login(user)
    alice = Membership.objects.get(project=project, user=user)
    change_url = reverse("admin:tenancy_membership_change", args=[alice.pk])

    response = owner.post(change_url, {"role": Role.VIEWER})
    assert response.status_code == 200
    assert "is the last owner of credit" in response.content.decode()
    alice.refresh_from_db()
    assert alice.role == Role.OWNER

    assert "deletelink" not in owner.get(change_url).content.decode()
    assert owner.post(reverse("admin:tenancy_membership_delete", args=[alice.pk]), {"post": "yes"}).status_code == 403
    assert Membership.objects.filter(pk=alice.pk).exists()

    # With a second owner, the first may step down.
    admin_client_as(Role.OWNER, username="olivia")
    assert owner.post(change_url, {"role": Role.VIEWER}).status_code == 302
    alice.refresh_from_db()
    assert alice.role == Role.VIEWER
