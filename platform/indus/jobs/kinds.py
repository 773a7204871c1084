"""The job kinds of this installation: the installed apps' `kind.py` modules and the loaded
plugins' `indus_job_kinds` hooks. What a kind declares is `indus.plugins.job_kind.JobKind`."""
from indus.plugins.job_kind import JobKind

KIND_MODULE = "kind"  # an app declares its kinds in `<app>/kind.py`, as a list named KINDS


def job_kinds() -> dict[str, JobKind]:
    """Every kind: the installed apps' (found when first asked, once the apps are ready), then
    the loaded plugins'. A plugin cannot take the name of an app's kind."""
    kinds = dict(_app_kinds())
    from indus.plugins.manager import get_registry

    for name, kind in get_registry().job_kinds.items():
        kinds.setdefault(name, kind)
    return kinds


def job_kind(name: str) -> JobKind | None:
    return job_kinds().get(name)


def kind_submit_service(name: str):
    """The submit service a kind declares, for a caller that launches a kind by name: the app
    that declares a kind may import the caller's app (training imports bindings), so the caller
    cannot import it back."""
    from django.utils.module_loading import import_string

    return import_string(job_kinds()[name].submit)


def submittable_kinds() -> dict[str, JobKind]:
    """The kinds the jobs endpoint, the admin's launch forms and the CLI submit."""
    return {name: kind for name, kind in sorted(job_kinds().items()) if kind.submittable}


_found: dict[str, JobKind] | None = None


def _app_kinds() -> dict[str, JobKind]:
    global _found
    if _found is None:
        _found = _find_app_kinds()
    return _found


def _find_app_kinds() -> dict[str, JobKind]:
    import importlib
    import importlib.util

    from django.apps import apps

    found: dict[str, JobKind] = {}
    for app in apps.get_app_configs():
        module_name = f"{app.name}.{KIND_MODULE}"
        if importlib.util.find_spec(module_name) is None:
            continue
        for kind in importlib.import_module(module_name).KINDS:
            if kind.name in found:
                raise ValueError(f"job kind {kind.name!r} is declared twice ({module_name} and another app)")
            found[kind.name] = kind
    return found
