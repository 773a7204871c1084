from django.db import transaction

from indus.tenancy.models import Membership, Project, Role


@transaction.atomic
def project_create(*, slug: str, name: str, owner, description: str = "") -> Project:
    project = Project(slug=slug, name=name, description=description)
    project.full_clean()
    project.save()
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    return project


def membership_set(*, project: Project, user, role: Role) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": Role(role)}
    )
    return membership
