"""The plugin API and the HTTP-only CLI import without Django, Celery or the ML stack, and a
Django process still sends its jobs through the Indus Celery app.

Each check runs in a fresh interpreter: this test process has long since imported Django.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[1]
HEAVY = ("celery", "kombu", "django", "rest_framework", "torch", "transformers", "pyarrow")


def _run(code: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args, "-c", code], capture_output=True, text=True, cwd=REPO_DIR,
        env={**os.environ, **(env or {})}, timeout=120, check=True,
    )


def _imported_top_levels(importtime_stderr: str) -> set[str]:
    """The packages named in `-X importtime` output: 'import time: self | cumulative | name'."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header row
                names.add(name.split(".")[0])
    return names


@pytest.mark.parametrize("module", [
    "indus.plugins.hookspecs", "indus.plugins.contract", "indus.plugins.manager", "indus.cli.main",
])
def test_plugin_api_and_cli_import_light(module):
    result = _run(f"import {module}", "-X", "importtime")
    loaded = _imported_top_levels(result.stderr)
    assert "indus" in loaded, "the importtime output was not read"
    assert not loaded & set(HEAVY), f"importing {module} loads {sorted(loaded & set(HEAVY))}"


def test_cli_help_runs_without_django_or_celery():
    code = (
        "import sys, json, contextlib, io\n"
        "from indus.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "print(json.dumps({'help': out.getvalue(), 'modules': sorted(sys.modules)}))\n"
    )
    outcome = json.loads(_run(code).stdout)
    assert "jobs" in outcome["help"]
    heavy = [name for name in outcome["modules"] if name.split(".")[0] in HEAVY]
    assert not heavy, f"`indus --help` loads {heavy[:10]}"


def test_django_process_sends_through_the_indus_celery_app():
    # A web process never imports indus.celery itself: the app must be configured when Django
    # is, or `current_app.send_task` would use Celery's default app and broker.
    code = (
        "import json, django\n"
        "django.setup()\n"
        "from celery import current_app\n"
        "from django.conf import settings\n"
        "print(json.dumps({'main': current_app.main, 'broker': current_app.conf.broker_url,\n"
        "                  'expected_broker': settings.CELERY_BROKER_URL,\n"
        "                  'queues': sorted(q.name for q in current_app.conf.task_queues or ())}))\n"
    )
    outcome = json.loads(_run(code, env={"DJANGO_SETTINGS_MODULE": "tests.settings"}).stdout)
    from indus.celery import QUEUES

    assert outcome["main"] == "indus"
    assert outcome["broker"] == outcome["expected_broker"]
    assert outcome["queues"] == sorted(QUEUES)
