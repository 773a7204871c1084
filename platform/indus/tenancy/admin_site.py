"""The Indus admin site: Django's, plus pages for things that are not database rows."""
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.template.response import TemplateResponse
from django.urls import path, reverse


class IndusAdminSite(admin.AdminSite):
    site_header = "Indus administration"
    site_title = "Indus"
    index_title = "Datasets, jobs and models"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Imported here: this module is loaded while apps are still loading, before auth's models.
        from indus.tenancy.admin_scoping import MemberAuthenticationForm

        self.login_form = MemberAuthenticationForm

    def has_permission(self, request):
        from indus.tenancy.admin_scoping import may_use_admin

        return may_use_admin(request.user)

    def get_urls(self):
        return [path("plugins/", self.admin_view(self.plugins_view), name="plugins"), *super().get_urls()]

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label in (None, "plugins"):
            apps.append({
                "name": "Plugins",
                "app_label": "plugins",
                "app_url": reverse("admin:plugins"),
                "has_module_perms": True,
                "models": [{
                    "name": "Installed plugins",
                    "object_name": "Plugin",
                    "admin_url": reverse("admin:plugins"),
                    "view_only": True,
                }],
            })
        return apps

    def plugins_view(self, request):
        from indus.plugins.manager import get_registry

        registry = get_registry()
        context = {
            **self.each_context(request),
            "title": "Installed plugins",
            "plugins": [
                {
                    "info": plugin,
                    "tasks": [registry.tasks[name] for name in plugin.tasks],
                    "heads": [registry.heads[name] for name in plugin.heads],
                    "backbones": [registry.backbones[name] for name in plugin.backbones],
                }
                for plugin in registry.plugins.values()
            ],
        }
        return TemplateResponse(request, "admin/plugins/index.html", context)


class IndusAdminConfig(AdminConfig):
    default_site = "indus.tenancy.admin_site.IndusAdminSite"
