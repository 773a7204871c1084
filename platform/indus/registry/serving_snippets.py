"""How to call a version from an application: what the admin's version page shows.

The serving process (`manage.py serve`) answers under `<project>.<model>`, by alias or by
version number; the snippets are filled with the version's own names, columns and the
`INDUS_SERVING_URL` applications reach it at, so they can be copied as they are.
"""
import json

from django.conf import settings

from indus.registry.models import ModelAlias, ModelVersion


def model_columns(version: ModelVersion) -> tuple:
    """The columns the version reads: its binding's task's, else its plugin task's (none when
    no loaded plugin declares it)."""
    from indus.bindings.selectors import task_binding_task
    from indus.plugins.manager import get_registry

    task = task_binding_task(version.binding) if version.binding_id else get_registry().tasks.get(version.model.task)
    return task.model_columns if task is not None else ()


def example_row(version: ModelVersion) -> dict:
    """One row keyed by the columns the model reads, with a placeholder of each column's type."""
    placeholders = {"number": 0.0, "integer": 0, "boolean": False, "datetime": "2026-01-01T00:00:00", "tokens": ["…"]}
    row = {column.name: placeholders.get(str(column.type), "…") for column in model_columns(version)}
    return row or {"<column>": "<value>"}


def serving_context(version: ModelVersion) -> dict:
    aliases = ModelAlias.objects.filter(model=version.model).select_related("version", "canary_version")
    served_under = [
        {"name": alias.name, "share": 100 - alias.canary_percent if alias.version_id == version.pk else alias.canary_percent,
         "canary": alias.version_id != version.pk, "logged_percent": round(alias.log_sample_rate * 100, 1),
         "logged_per_hour": alias.log_max_rows_per_hour}
        for alias in aliases if version.pk in (alias.version_id, alias.canary_version_id)
    ]
    selector = f"alias={served_under[0]['name']}" if served_under and not served_under[0]["canary"] else f"version={version.number}"
    base = settings.INDUS_SERVING_URL.rstrip("/")
    project, model = version.model.project.slug, version.model.name
    url = f"{base}/projects/{project}/models/{model}/predict?{selector}"
    body = json.dumps({"rows": [example_row(version)]})
    curl = (f"curl -s -X POST '{url}' \\\n  -H \"Authorization: Bearer $INDUS_TOKEN\" \\\n"
            f"  -H 'Content-Type: application/json' \\\n  -d '{body}'")
    python = (
        "import os, requests\n\n"
        f"response = requests.post(\n    {url!r},\n"
        "    headers={\"Authorization\": f\"Bearer {os.environ['INDUS_TOKEN']}\"},\n"
        f"    json={body},\n    timeout=10,\n)\n"
        "response.raise_for_status()\n"
        "print(response.json()[\"version\"], response.json()[\"predictions\"])"
    )
    return {
        "served_under": served_under,
        "v2_name": f"{project}.{model}",
        "v2_infer_url": f"{base}/v2/models/{project}.{model}/versions/{version.number}/infer",
        "curl": curl,
        "python": python,
    }
