import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from indus.tenancy.models import Project, Role
from indus.tenancy.services import membership_set, project_create


class Command(BaseCommand):
    help = (
        "Create the admin user and a `demo` project it owns, once. The login comes from "
        "INDUS_ADMIN_USERNAME / INDUS_ADMIN_PASSWORD, or a password is generated and kept "
        "in var/admin-password so that later runs can show it again."
    )

    def handle(self, *args, **options):
        from environ import Env

        env = Env()
        username = env.str("INDUS_ADMIN_USERNAME", default="admin")
        password_file = settings.VAR_DIR / "admin-password"
        password = env.str("INDUS_ADMIN_PASSWORD", default="")
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            if not password:
                password = secrets.token_urlsafe(12)
                password_file.write_text(password)
                password_file.chmod(0o600)
            user = User.objects.create_superuser(username=username, email="", password=password)
            self.stdout.write(f"created admin user {username!r}")
        elif password:
            user.set_password(password)
            user.save(update_fields=["password"])
        elif password_file.exists():
            password = password_file.read_text().strip()
        project = Project.objects.filter(slug="demo").first()
        if project is None:
            project_create(slug="demo", name="Demo", owner=user, description="Created by make demo")
        else:
            membership_set(project=project, user=user, role=Role.OWNER)
        shown = password or "(set earlier; reset it with INDUS_ADMIN_PASSWORD=... make demo)"
        self.stdout.write(f"admin login: {username} / {shown}")
