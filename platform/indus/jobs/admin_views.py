"""The admin's job pages: launch forms, the live job page and its JSON, cancel, retry and the
predictions download. Thin views: roles are checked here, the work is the services'."""
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from indus.jobs.admin_forms import launch_form_class
from indus.jobs.kinds import job_kind, submittable_kinds
from indus.jobs.models import Job
from indus.jobs.selectors import job_events_latest, job_metric_series, job_parts, job_spec, job_timing, project_objects
from indus.jobs.services import job_cancel, job_retry
from indus.jobs.states import TERMINAL_STATES, JobState
from indus.plugins.job_kind import JobKind
from indus.tenancy.admin_scoping import projects_where
from indus.tenancy.models import Role
from indus.tenancy.selectors import user_has_role

EVENTS_SHOWN = 100
# Trainer also logs its own speed (runtime, samples per second): the API has those; the job
# page charts how the model learns.
SPEED_SUFFIXES = ("_runtime", "_per_second")


def is_learning_curve(metric: str) -> bool:
    return not metric.endswith(SPEED_SUFFIXES)


# --- Helpers ---------------------------------------------------------------------------------


def visible_job(model_admin, request, job_id) -> Job:
    """The job if the user may see it; otherwise it does not exist for them."""
    job = model_admin.get_object(request, str(job_id))
    if job is None:
        raise Http404("no such job")
    return job


def may_edit(request, job: Job) -> bool:
    return user_has_role(user=request.user, project=job.project, required=Role.EDITOR)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def local_time_text(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def job_live_data(job: Job, *, since_step: int | None = None) -> dict:
    """What the job page shows and refreshes: state, start, attempts, progress, timing, metrics
    and events."""
    elapsed, eta = job_timing(job=job, now=timezone.now())
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": job.get_state_display(),
        "terminal": job.state in TERMINAL_STATES,
        "started": local_time_text(job.started_at),
        "attempts": f"{job.attempts} of {job.max_attempts} (queue {job.queue}" + (f", worker {job.worker})" if job.worker else ")"),
        "progress": job.progress,
        "progress_text": f"{job.progress * 100:.0f}%",
        "progress_message": job.progress_message,
        "cancel_requested": job.cancel_requested_at is not None,
        "elapsed_seconds": elapsed,
        "elapsed": duration_text(elapsed),
        "eta_seconds": eta,
        "eta": duration_text(eta),
        "since_step": since_step,
        "metrics": {name: [list(point) for point in points]
                    for name, points in job_metric_series(job=job, since_step=since_step).items()
                    if is_learning_curve(name)},
        "events": [
            {
                "id": event.pk,
                "time": local_time_text(event.created_at),
                "level": event.level,
                "attempt": event.attempt,
                "message": event.message,
            }
            for event in job_events_latest(job=job, limit=EVENTS_SHOWN)
        ],
    }


def _admin_link(name: str, pk) -> str | None:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def made_links(job: Job) -> list[dict]:
    """Links to what the job read (its kind's referenced inputs) and, once it succeeded, made
    (its kind's `made`), as the kind declares them."""
    kind = job_kind(job.kind)
    if kind is None:
        return []
    result, spec = job.result or {}, job_spec(job=job)
    links = []
    if job.state == JobState.SUCCEEDED:
        links += [{"id": made.id, "label": made.label(result), "url": _admin_link(made.references.admin_url, result[made.result_key])}
                  for made in kind.made if result.get(made.result_key)]
    links += [{"id": f"job-input-{item.name.replace('_', '-')}", "label": item.link_label,
               "url": _admin_link(item.references.admin_url, spec[item.spec_key])}
              for item in kind.inputs if item.references and item.link_label and spec.get(item.spec_key)]
    return [link for link in links if link["url"]]


# --- The job page ----------------------------------------------------------------------------


def job_page(model_admin, request, job_id, extra_context=None):
    job = visible_job(model_admin, request, job_id)
    kind = job_kind(job.kind)
    editor = may_edit(request, job)
    live = job_live_data(job)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"{job.kind} job {job.pk}",
        "subtitle": None,
        "job": job,
        "live": live,
        "spec_json": json.dumps(job_spec(job=job), indent=2, sort_keys=True),
        "result_json": json.dumps(job.result, indent=2, sort_keys=True) if job.result is not None else "",
        "links": made_links(job),
        "retries": list(job.retries.order_by("created_at", "id").values_list("pk", flat=True)),
        "can_cancel": editor and job.state in (JobState.QUEUED, JobState.RUNNING),
        "can_retry": editor and job.state in (JobState.FAILED, JobState.CANCELLED),
        "has_predictions": bool(kind and kind.download) and job.state == JobState.SUCCEEDED,
        "kind_section": import_string(kind.admin_section)(job) if kind and kind.admin_section else "",
        # Any kind that runs in parts has them: the job admin shows them, not a kind's section.
        "parts": job_parts(job_id=job.pk),
        "live_url": reverse("admin:jobs_job_live", args=[job.pk]),
        **(extra_context or {}),
    }
    return TemplateResponse(request, "admin/jobs/job/detail.html", context)


def job_live(model_admin, request, job_id):
    job = visible_job(model_admin, request, job_id)
    since = request.GET.get("since_step")
    try:
        since_step = int(since) if since not in (None, "") else None
    except ValueError:
        return JsonResponse({"error": "since_step must be a whole number"}, status=400)
    return JsonResponse(job_live_data(job, since_step=since_step))


def _editable_job(model_admin, request, job_id) -> Job:
    job = visible_job(model_admin, request, job_id)
    if not may_edit(request, job):
        raise PermissionDenied("cancelling and retrying jobs needs the editor role")
    return job


def _message_of(error: ValidationError) -> str:
    return " ".join(error.messages)


def job_cancel_view(model_admin, request, job_id):
    job = _editable_job(model_admin, request, job_id)
    try:
        job = job_cancel(job=job)
    except ValidationError as error:
        messages.error(request, _message_of(error))
    else:
        if job.state == JobState.CANCELLED:
            messages.success(request, f"Job {job.pk} was cancelled.")
        else:
            messages.success(request, f"Job {job.pk} was asked to stop; its worker stops at its next check.")
    return redirect("admin:jobs_job_change", job.pk)


def job_retry_view(model_admin, request, job_id):
    job = _editable_job(model_admin, request, job_id)
    try:
        retry = job_retry(job=job, created_by=request.user)
    except ValidationError as error:
        messages.error(request, _message_of(error))
        return redirect("admin:jobs_job_change", job.pk)
    messages.success(request, f"Job {job.pk} runs again as job {retry.pk}.")
    return redirect("admin:jobs_job_change", retry.pk)


def job_download(model_admin, request, job_id):
    """What a succeeded job of a kind that declares a download offers (batch inference's
    predictions)."""
    job = visible_job(model_admin, request, job_id)
    kind = job_kind(job.kind)
    if kind is None or kind.download is None:
        raise Http404(f"a {job.kind} job has nothing to download")
    try:
        return import_string(kind.download)(job=job)
    except ValidationError as error:
        raise Http404(_message_of(error)) from None


# --- Launch forms ----------------------------------------------------------------------------


def _require_editor_somewhere(request) -> None:
    if not projects_where(request.user, Role.EDITOR).exists():
        raise PermissionDenied("launching jobs needs the editor role in a project")


def _launch_page(model_admin, request, form, *, title: str, launch_name: str, ready: bool = True):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "form": form,
        "fieldsets": form.fieldsets(),
        "ready": ready,
        "action_url": reverse(launch_name),
    }
    return TemplateResponse(request, "admin/jobs/job/launch.html", context)


def _submitted(request, form, kind: JobKind):
    """Submit the form's job through its kind's service: the redirect to the new job's page, or
    None with the service's errors put next to the form's fields."""
    try:
        job = import_string(kind.submit)(**form.submit_arguments(), created_by=request.user)
    except ValidationError as error:
        form.add_service_error(error)
        return None
    messages.success(request, f"Job {job.pk} ({job.kind}) is queued.")
    return redirect("admin:jobs_job_change", job.pk)


def launch(model_admin, request, kind: JobKind):
    """The launch form of a kind. A form that needs a first choice to build the rest (fine-tuning's
    task) says whether it is `ready`. `?name=value` fills the form in; `?model_version=` (any
    referenced input) preselects an object and narrows the other choices to its project."""
    _require_editor_somewhere(request)
    form_class = launch_form_class(kind)
    if request.method == "POST":
        form = form_class(request.POST, user=request.user)
        if form.is_valid() and getattr(form, "ready", True) and (launched := _submitted(request, form, kind)):
            return launched
    else:
        initial = request.GET.dict()
        form = form_class(initial=initial, user=request.user, **_preselected_project(request, kind, initial))
    return _launch_page(model_admin, request, form, title=f"Launch {kind.label}",
                        launch_name=launch_url_name(kind), ready=getattr(form, "ready", True))


def launch_url_name(kind: JobKind) -> str:
    return f"admin:jobs_job_launch_{kind.name}"


def _preselected_project(request, kind: JobKind, initial: dict) -> dict:
    """{"project": the project of the first referenced object the query names}, or {} when it
    names none of the user's editor projects' (and that value is dropped)."""
    first = next((item for item in kind.inputs if item.references and item.admin), None)
    if kind.admin_form or first is None or first.name not in initial:
        return {}
    value = initial.pop(first.name)
    chosen = None
    if value.isdigit():
        editable = project_objects(reference=first.references, projects=projects_where(request.user, Role.EDITOR))
        chosen = editable.filter(pk=value).first()
    if chosen is None:
        return {}
    initial[first.name] = value
    return {"project": first.references.project_of(chosen)}


def launch_kinds() -> list[JobKind]:
    return list(submittable_kinds().values())
