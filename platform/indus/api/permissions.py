from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission


class HasProjectRole(BasePermission):
    """The user's role in the URL's project must allow the request's method.

    The view resolves the project first, and a user who is not a member gets a 404 there, as
    if the project did not exist; a member whose role is too low gets a 403 naming the role.
    """

    def has_permission(self, request, view):
        required = view.required_role(request.method)
        role = view.project_role
        if not role.allows(required):
            raise PermissionDenied(
                f"this needs the {required.value} role in project {view.project.slug}; you are a {role.value}",
                code="role_required",
            )
        return True
