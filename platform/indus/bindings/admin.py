"""Task bindings in the admin: "Use this data" from a dataset version's page, and the bindings
it saves, read-only (a binding is never edited: a change is a new one).

The flow proposes a binding from the version's stored profile (`task_binding_proposal`, as the
API's infer call does: no data is read in the request), lets the user change the template,
the target and each column's role and type, the labels' order and the positive label, shows
what the proposal says of them, and saves through `task_binding_create`, launching a fine-tune
in the same step when asked, through the fine_tune kind's submit service found by the kind's
name (training imports bindings, so bindings cannot import training). Thin views: roles are
checked here, the rules are the services'.
"""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from indus.bindings.admin_forms import UseThisDataForm, form_initial
from indus.bindings.models import TaskBinding
from indus.bindings.selectors import task_binding_proposal, task_binding_task
from indus.bindings.services import task_binding_create
from indus.datasets.column_inference import infer_columns
from indus.datasets.models import DatasetVersion
from indus.jobs.kinds import kind_submit_service
from indus.plugins.contract import TargetKind
from indus.plugins.manager import get_registry
from indus.tenancy.admin_scoping import ProjectScopedAdmin, projects_where
from indus.tenancy.models import Role
from indus.tenancy.selectors import user_has_role

# The buttons that write; any other submission only shows the proposal.
SAVE, SAVE_AND_FINE_TUNE = "_save", "_fine_tune"


def default_model_name(version: DatasetVersion, target: str | None) -> str:
    """A registered model's name for the target of a dataset, e.g. 'wine-cultivar'."""
    return slugify(f"{version.dataset.name} {target or ''}")[:100].strip("-") or "model"


@admin.register(TaskBinding)
class TaskBindingAdmin(ProjectScopedAdmin):
    project_path = "project"
    # Bindings are made by "Use this data" (or the API) and never changed.
    add_role = change_role = delete_role = None
    list_display = ["id", "template", "target_column", "dataset_version", "project", "used", "created_by", "created_at"]
    list_display_links = ["id", "template"]
    list_filter = ["template", ("project", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["project", "dataset_version__dataset", "created_by"]
    search_fields = ["template", "target_column"]
    fields = ["project", "template", "dataset_version", "target_column", "id_column", "labels", "positive_label",
              "left_out", "created_by", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("model_versions__model")

    @admin.display(description="model versions")
    def used(self, binding: TaskBinding) -> int:
        return len(binding.model_versions.all())

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("use/<int:version_id>/", view(self.use_view), name="bindings_taskbinding_use"),
            path("<int:binding_id>/fine-tune/", view(require_POST(self.fine_tune_view)),
                 name="bindings_taskbinding_fine_tune"),
            *super().get_urls(),
        ]

    # --- A binding's page ----------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        binding = self.get_object(request, object_id)
        if binding is None:  # another project's binding does not exist for this user
            raise Http404("No such task binding")
        versions = sorted(binding.model_versions.all(), key=lambda version: version.pk)
        context = {
            "bound_task": task_binding_task(binding),
            "trained_versions": versions,
            "can_fine_tune": user_has_role(user=request.user, project=binding.project, required=Role.EDITOR),
            "fine_tune_url": reverse("admin:bindings_taskbinding_fine_tune", args=[binding.pk]),
            "use_again_url": reverse("admin:bindings_taskbinding_use", args=[binding.dataset_version_id])
            + "?" + urlencode({"target": binding.target_column, "template": binding.template}),
            "model_name": default_model_name(binding.dataset_version, binding.target_column),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def fine_tune_view(self, request, binding_id):
        """Fine-tune a model from a saved binding, on the version it was made of, with the
        hyperparameters' defaults."""
        binding = self.get_object(request, str(binding_id))
        if binding is None:
            raise Http404("No such task binding")
        if not user_has_role(user=request.user, project=binding.project, required=Role.EDITOR):
            raise PermissionDenied("fine-tuning needs the editor role")
        try:
            job = kind_submit_service("fine_tune")(project=binding.project, dataset_version=binding.dataset_version,
                                   model_name=request.POST.get("model_name", ""), binding=binding,
                                   created_by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("admin:bindings_taskbinding_change", binding.pk)
        messages.success(request, f"Job {job.pk} (fine-tune) is queued.")
        return redirect("admin:jobs_job_change", job.pk)

    # --- Use this data -------------------------------------------------------------------

    def _visible_version(self, request, version_id) -> DatasetVersion:
        version = (DatasetVersion.objects.select_related("dataset__project")
                   .filter(dataset__project__in=projects_where(request.user, Role.VIEWER), pk=version_id).first())
        if version is None:  # another project's version does not exist for this user
            raise Http404("No such dataset version")
        return version

    def use_view(self, request, version_id):
        """Propose a binding of the version's columns (GET: the choices in the query), and save
        it, with a fine-tune from it when asked (POST, editors)."""
        version = self._visible_version(request, version_id)
        project = version.dataset.project
        editor = user_has_role(user=request.user, project=project, required=Role.EDITOR)
        if request.method == "POST" and not editor:
            raise PermissionDenied("binding a dataset needs the editor role")
        submitted = request.POST if request.method == "POST" else request.GET
        columns = version.columns or []
        form = UseThisDataForm(submitted if "target" in submitted else None, columns=columns)
        proposal, launch_problems = None, {}
        if form.is_bound and form.is_valid():
            arguments = form.proposal_arguments()
            if not form.cleaned_data["labels_in_order"]:
                arguments = self._unchanged_labels_dropped(version, arguments)
            writes = request.method == "POST" and (SAVE in submitted or SAVE_AND_FINE_TUNE in submitted)
            if writes and not form.column_choices_apply:
                # A new target or template: its columns are shown before anything is saved.
                messages.warning(request, "The target or template changed: check the proposal below, then save.")
            elif writes:
                saved = self._save(request, version, arguments, form.cleaned_data["model_name"],
                                   fine_tune=SAVE_AND_FINE_TUNE in submitted, launch_problems=launch_problems)
                if saved is not None:
                    return saved
            proposal = task_binding_proposal(dataset_version=version, **arguments)
            if not form.column_choices_apply:  # a new target or template: start from its inference
                form = UseThisDataForm(initial=form_initial(
                    proposal, columns, form.cleaned_data["model_name"] or default_model_name(version, proposal.target_column)),
                    columns=columns)
            form.offer_labels(proposal.labels)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "version_opts": DatasetVersion._meta,
            "title": f"Use {version} for a task",
            "version": version,
            "form": form,
            "proposal": proposal,
            "rows": _column_rows(form, columns, proposal, version),
            "problems": sorted(proposal.problems.items()) if proposal else [],
            "launch_problems": sorted(launch_problems.items()),
            "can_save": editor,
            "ordered_labels": proposal is not None and _orders_its_labels(proposal.template),
        }
        return TemplateResponse(request, "admin/bindings/taskbinding/use.html", context)

    def _unchanged_labels_dropped(self, version: DatasetVersion, arguments: dict) -> dict:
        """The labels are given only when the user changed them (or confirmed their order): shown
        as the profile lists them and sent back unchanged, an ordinal target's levels would pass
        for an order chosen."""
        if "labels" not in arguments:
            return arguments
        without = {name: value for name, value in arguments.items() if name != "labels"}
        if task_binding_proposal(dataset_version=version, **without).labels == arguments["labels"]:
            return without
        return arguments

    def _save(self, request, version, arguments: dict, model_name: str, *, fine_tune: bool, launch_problems: dict):
        """The binding saved (and its fine-tune queued) in one transaction: the redirect to the
        binding's (the job's) page, or None, nothing stored, with the fine-tune's problems put
        in `launch_problems` (the binding's own are the proposal's, shown with it)."""
        project = version.dataset.project
        try:
            with transaction.atomic():
                binding = task_binding_create(project=project, dataset_version=version, created_by=request.user,
                                              **arguments)
                if not fine_tune:
                    messages.success(request, f"Task binding {binding.pk} is saved.")
                    return redirect("admin:bindings_taskbinding_change", binding.pk)
                try:
                    job = kind_submit_service("fine_tune")(project=project, dataset_version=version, model_name=model_name,
                                           binding=binding, created_by=request.user)
                except ValidationError as error:
                    launch_problems.update(error.message_dict if hasattr(error, "error_dict")
                                           else {"fine-tune": error.messages})
                    raise
        except ValidationError:
            return None
        messages.success(request, f"Task binding {binding.pk} is saved; fine-tune job {job.pk} is queued.")
        return redirect("admin:jobs_job_change", job.pk)


def _orders_its_labels(template_name: str | None) -> bool:
    template = get_registry().templates.get(template_name) if template_name else None
    return template is not None and template.target_kind == TargetKind.ORDINAL


def _column_rows(form: UseThisDataForm, columns: list[dict], proposal, version: DatasetVersion) -> list[dict]:
    """One row per column: its name, stored type, the role and type fields, and the reasons
    the inference gives (from the proposal, or before a target is chosen, from the columns alone)."""
    if proposal is not None:
        inferred = {column.original_name: column for column in proposal.columns}
        target = proposal.target_column
    else:
        inferred = {column.original_name: column for column in infer_columns(
            columns=columns, profile=version.profile or {}).columns}
        target = None
    rows = []
    for index, column in enumerate(columns):
        about = inferred.get(column["name"])
        rows.append({
            "index": index,
            "name": column["name"],
            "stored_type": column["type"],
            "is_target": column["name"] == target,
            "role_field": form[f"role_{index}"],
            "type_field": form[f"type_{index}"],
            "inferred_type": about.type if about else None,
            "inferred_role": about.role if about else None,
            "reasons": [reason for reason in (about.type_reason, about.role_reason, about.name_reason) if reason]
            if about else [],
        })
    return rows
