"""docs/plugins.md's example plugin, pip-installed from outside the repository."""
import shutil
import subprocess
import sys

import pytest

from tests.support.workers import REPO_DIR, process_env

pytestmark = pytest.mark.e2e
EXAMPLE = REPO_DIR / "docs" / "examples" / "indus-insurance"


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                          capture_output=True, text=True, timeout=300)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_DIR, env=process_env(**env),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory):
    source = tmp_path_factory.mktemp("outside") / "indus-insurance"
    shutil.copytree(EXAMPLE, source)
    # A regular (not editable) install: the package is copied into site-packages.
    installed = pip("install", "--no-deps", "--no-build-isolation", str(source))
    assert installed.returncode == 0, installed.stderr
    yield
    pip("uninstall", "-y", "indus-insurance")  # the test may have done it already


def test_install_allow_list_and_uninstall(installed_example):
    shown = manage("plugins", "show", "insurance")
    assert shown.returncode == 0, shown.stderr
    assert "task insurance.claim_triage: Claim triage [text, classes target 'route'" in shown.stdout
    assert "head insurance.cost_sensitive" in shown.stdout

    checked = manage("plugins", "check")
    assert checked.returncode == 0, checked.stderr  # the head class imports, with torch, in this process

    hidden = manage("plugins", "list", INDUS_PLUGINS="finance")
    assert any(line.split()[:1] == ["insurance"] and "disabled" in line for line in hidden.stdout.splitlines())

    assert pip("uninstall", "-y", "indus-insurance").returncode == 0
    listed = manage("plugins", "list")
    assert listed.returncode == 0 and "insurance" not in listed.stdout
