"""`manage.py check --deploy` with the environment docker-compose.yml gives the web service:
no warning at all, so HTTPS, HSTS and secure cookies are what the production shape runs with.

The compose file is parsed as tests/test_compose.py parses it, and its `${...}` references are
resolved the way compose resolves them for a shell that sets only what compose requires."""
import re
import secrets
import subprocess
import sys
from pathlib import Path

import yaml
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[2]
SERVICES = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
# What an operator must set (compose refuses to start without): nothing else comes from the shell.
REQUIRED_FROM_THE_SHELL = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "INDUS_CREDENTIALS_KEYS": Fernet.generate_key().decode(),
    "DATABASE_URL": "postgres://indus:password@postgres:5432/indus",
    "POSTGRES_PASSWORD": "password",
}
REFERENCE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<default>[^}]*))?\}|\$(?P<bare>\w+)")


def compose_value(value: str, shell: dict) -> str:
    """A value with compose's interpolation applied (`$$` is a literal `$`)."""
    def substitute(match):
        name = match.group("name") or match.group("bare")
        if name in shell:
            return shell[name]
        if match.group("op") and "?" in match.group("op"):
            raise AssertionError(f"compose would refuse to start: {name} is required")
        return match.group("default") or ""

    return "$".join(REFERENCE.sub(substitute, part) for part in str(value).split("$$"))


def web_environment(shell: dict) -> dict:
    environment = SERVICES["web"]["environment"]
    # A bare `NAME:` entry passes NAME through only when the shell sets it.
    return {name: compose_value(value, shell) for name, value in environment.items()
            if value is not None or name in shell}


def test_check_deploy_prints_no_warning_with_the_compose_environment(tmp_path):
    environment = {
        **web_environment(REQUIRED_FROM_THE_SHELL),
        "PATH": "/usr/bin:/bin",
        # The image's var folder, writable here.
        "INDUS_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "indus.settings",
    }
    assert environment["INDUS_SECURE_SSL_REDIRECT"] == "true"  # the compose default, not the shell's
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr


def test_the_embedded_default_would_be_warned_about(tmp_path):
    """The same check without the compose environment does warn: the test above is not
    passing because the check is silenced."""
    environment = {"PATH": "/usr/bin:/bin", "INDUS_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "indus.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=REPO, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )
    output = result.stdout + result.stderr
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output, output


def test_with_https_on_plain_http_is_redirected_but_the_healthcheck_is_answered(client, settings, db):
    """Compose's healthcheck calls http://localhost:8000/healthz inside the container: under
    the redirect it must still be answered, and everything else must go to HTTPS."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/healthz").status_code == 200
    redirected = client.get("/admin/login/")
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")
    assert client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_processes_starting_together_on_a_fresh_var_folder_share_one_key(tmp_path):
    """Web and workers started at once (in compose, each as pid 1 of its container) must all
    read the key that won, never each their own or a half-written one."""
    environment = {"PATH": "/usr/bin:/bin", "INDUS_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "indus.settings"}
    read_keys = "import django; django.setup(); from django.conf import settings as s; " \
                "print(s.SECRET_KEY, s.INDUS_CREDENTIALS_KEYS[0])"
    starts = [subprocess.Popen([sys.executable, "-c", read_keys], cwd=REPO, env=environment, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outputs = [start.communicate(timeout=120) for start in starts]
    assert all(start.returncode == 0 for start in starts), [error for _, error in outputs]
    keys = {output.strip() for output, _ in outputs}
    assert len(keys) == 1 and len(keys.pop().split()) == 2
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []


def test_an_embedded_key_is_made_where_the_filesystem_has_no_hard_links(tmp_path, monkeypatch):
    import os

    from indus import settings as indus_settings

    def no_links(source, target):
        raise PermissionError(1, "Operation not permitted")  # what such a mount answers

    monkeypatch.setattr(indus_settings, "VAR_DIR", tmp_path)
    monkeypatch.setattr(os, "link", no_links)
    first = indus_settings._embedded_key("test-key", lambda: "the first key")
    again = indus_settings._embedded_key("test-key", lambda: "another key")
    assert first == again == "the first key"
    assert [path.name for path in tmp_path.iterdir()] == ["test-key"]
    assert (tmp_path / "test-key").stat().st_mode & 0o777 == 0o600
