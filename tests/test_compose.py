"""Static checks of the container set-up: docker-compose.yml, Dockerfile and .dockerignore.

No Docker engine is needed. The files are parsed, and every program, queue, setting, volume,
port and path they name is checked against the code, so the deployment cannot drift from it
unnoticed.
"""
import functools
import importlib
import json
import re
import shlex
import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (REPO / "Dockerfile").read_text()

EXPECTED_PUBLIC_SERVICES = {"postgres", "redis", "proxy"}
EXPECTED_APP_SERVICES = {"migrate", "web", "worker-cpu", "worker-gpu", "serve", "serve-gpu", "beat", "flower"}
ONE_SHOT_SERVICES = {"migrate"}
# Services that write or serve artifacts: they must see one volume at one path.
ARTIFACT_USERS = ("web", "worker-cpu", "worker-gpu", "serve", "serve-gpu")
# Read by boto3 itself (behind django-storages), not by settings.py.
BOTO_ENV_VARS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
# Queues consumed by programs that are not `celery worker`, by their documented contract.
PROGRAM_QUEUES = {"indus-gpu-workers": {"gpu"}}
# Variables the image sets for Python and pip themselves, not for Indus.
TOOL_ENV_VARS = {
    "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "PIP_DISABLE_PIP_VERSION_CHECK"
}

# Services built from the Dockerfile: every Indus process.
APP_SERVICES = sorted(name for name, service in SERVICES.items() if "build" in service)


# --- compose helpers --------------------------------------------------------------------------
def _argv(command) -> list[str]:
    """A compose command as the container sees it: `$$` is compose's escape for `$`."""
    parts = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    return [part.replace("$$", "$") for part in parts]


def _healthcheck_argv(service) -> list[str] | None:
    test = service.get("healthcheck", {}).get("test")
    if not test:
        return None
    kind, *rest = test
    return _argv(rest[0] if kind == "CMD-SHELL" else rest)


def _option(argv, *names) -> str | None:
    """The value of an option given as `-X value`, `--name value` or `--name=value`."""
    for index, token in enumerate(argv):
        if token in names:
            return argv[index + 1]
        for name in names:
            if name.startswith("--") and token.startswith(name + "="):
                return token.split("=", 1)[1]
    return None


def _celery_subcommand(argv) -> str:
    """The first word after celery's global options (only -A/--app takes a value here)."""
    tokens = iter(argv[1:])
    for token in tokens:
        if token in ("-A", "--app"):
            next(tokens)
        elif not token.startswith("-"):
            return token
    raise AssertionError(f"no celery subcommand in {argv}")


def _environment(service) -> dict:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in environment)
    return environment


def _interpolated_vars(value) -> set[str]:
    """Names compose substitutes anywhere in a value: `${NAME...}` and `$NAME`, not `$$`."""
    if isinstance(value, dict):
        return set().union(*map(_interpolated_vars, value.values()))
    if isinstance(value, list):
        return set().union(*map(_interpolated_vars, value))
    if isinstance(value, str):
        return set(re.findall(r"\$\{?([A-Za-z_]\w*)", value.replace("$$", "")))
    return set()


def _volume_mounts(service) -> list[tuple[str, str]]:
    """(source, target) of each mount, in short (`src:dst[:mode]`) or long syntax."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source", ""), volume["target"]
        mounts.append((source, target))
    return mounts


def _healthcheck_url(service):
    match = re.search(r"https?://[^'\"\s]+", " ".join(_healthcheck_argv(service) or []))
    assert match, "the healthcheck requests no URL"
    return urlparse(match.group())


def _listen_port(argv) -> int:
    value = _option(argv, "-b", "--bind") or _option(argv, "--port")
    assert value, f"no listening port in {argv}"
    return int(value.rsplit(":", 1)[-1])


# --- code helpers -----------------------------------------------------------------------------
@functools.cache
def _settings_env_vars() -> frozenset[str]:
    source = (REPO / "platform" / "indus" / "settings.py").read_text()
    return frozenset(re.findall(r"\benv\.\w+\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))


def _pyproject(path: str) -> dict:
    file = REPO / path
    assert file.is_file(), f"{path} does not exist"
    return tomllib.loads(file.read_text())


def _requirement_name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9._-]+", requirement).group().lower().replace("_", "-")


# --- Dockerfile helpers -----------------------------------------------------------------------
def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines = [line for line in DOCKERFILE.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.strip().split(None, 1) for line in joined.splitlines() if line.strip())
    ]


def _dockerfile_args(instruction: str) -> list[str]:
    return [args for name, args in _dockerfile_instructions() if name == instruction]


def _dockerfile_env() -> dict[str, str]:
    pairs = (pair for args in _dockerfile_args("ENV") for pair in shlex.split(args))
    return dict(pair.split("=", 1) for pair in pairs)


def _dockerfile_copy_sources() -> list[str]:
    sources = []
    for args in _dockerfile_args("COPY"):
        tokens = [token for token in shlex.split(args) if not token.startswith("--")]
        sources += tokens[:-1]
    return sources


def _dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip().lstrip("/") for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def project_install(tmp_path_factory) -> tuple[str, ...]:
    """What the RUN that installs the project hands to pip: that RUN's shell code is run here,
    in the repository, with a stub `pip` that records its arguments."""
    runs = [run for run in _dockerfile_args("RUN") if "pip install" in run and "./workers" in run]
    assert len(runs) == 1, "the Dockerfile has one RUN that pip-installs the project and ./workers"
    script = re.sub(r"^(--\S+\s+)*", "", runs[0])
    stub_dir = tmp_path_factory.mktemp("pip-stub")
    record = stub_dir / "pip-args"
    stub = stub_dir / "pip"
    stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{record}"\n')
    stub.chmod(0o755)
    path = f"{stub_dir}:/usr/bin:/bin"
    subprocess.run(["sh", "-c", script], cwd=REPO, env={"PATH": path}, check=True)
    return tuple(record.read_text().splitlines())


# --- program checks: each command names something that exists --------------------------------
def _check_python(argv, project_install):
    if argv[1] == "-c":
        compile(argv[2], "<compose python -c>", "exec")
        return
    from django.core.management import get_commands

    assert argv[1] == "manage.py", f"unknown python entry point in {argv}"
    assert "manage.py" in _dockerfile_copy_sources(), "the image has no manage.py"
    assert argv[2] in get_commands(), f"no management command {argv[2]!r}"


def _check_celery(argv, project_install):
    from celery import Celery
    from celery.app.utils import find_app
    from celery.bin.celery import celery as celery_cli

    from indus.celery import QUEUES
    from indus.celery import app as indus_app

    app_name = _option(argv, "-A", "--app")
    assert isinstance(find_app(app_name), Celery)
    assert find_app(app_name) is indus_app, f"celery must run the indus app: {argv}"
    subcommand = _celery_subcommand(argv)
    assert subcommand in celery_cli.commands, f"celery has no {subcommand!r} command"
    queues = _option(argv, "-Q", "--queues")
    if queues:
        assert set(queues.split(",")) <= set(QUEUES), f"unknown queue in {queues!r}"
    if subcommand == "flower":
        assert "flower" in _root_requirements_installed(project_install), "flower is not installed"


def _check_gunicorn(argv, project_install):
    from gunicorn.config import Config

    app_modules = Config().parser().parse_args(argv[1:]).args
    assert len(app_modules) == 1, f"gunicorn needs one MODULE:ATTR, got {app_modules}"
    module, _, attr = app_modules[0].partition(":")
    assert hasattr(importlib.import_module(module), attr), f"{module} has no {attr}"


def _check_workers_script(argv, project_install):
    scripts = _pyproject("workers/pyproject.toml")["project"].get("scripts", {})
    assert argv[0] in scripts, f"workers/pyproject.toml declares no {argv[0]!r} script"
    assert _workers_extras(project_install) is not None, "the image does not install ./workers"


PROGRAM_CHECKS = {
    "python": _check_python,
    "celery": _check_celery,
    "gunicorn": _check_gunicorn,
    "indus-gpu-workers": _check_workers_script,
}


def _workers_extras(project_install) -> set[str] | None:
    """The extras of ./workers the image installs (`./workers[serving]`), None without it."""
    for arg in project_install:
        if match := re.fullmatch(r"\./workers(?:\[(.*)\])?", arg):
            return {extra.strip() for extra in (match.group(1) or "").split(",") if extra.strip()}
    return None


def _root_requirements_installed(project_install) -> set[str]:
    """Names of the optional requirements the image installs through the root's extras."""
    optional = _pyproject("pyproject.toml")["project"].get("optional-dependencies", {})
    extras = [
        extra.strip()
        for arg in project_install
        if (match := re.fullmatch(r"\.\[(.*)\]", arg))
        for extra in match.group(1).split(",")
    ]
    return {_requirement_name(req) for extra in extras for req in optional.get(extra, [])}


def _app_programs():
    for name in APP_SERVICES:
        yield pytest.param(name, "command", id=f"{name}-command")
        if "healthcheck" in SERVICES[name]:
            yield pytest.param(name, "healthcheck", id=f"{name}-healthcheck")


# --- services -----------------------------------------------------------------------------------
def test_expected_services_exist():
    assert EXPECTED_PUBLIC_SERVICES | EXPECTED_APP_SERVICES <= set(SERVICES)
    assert EXPECTED_APP_SERVICES <= set(APP_SERVICES), "every Indus process runs the built image"


def test_app_services_share_one_image_built_from_the_dockerfile():
    images = {SERVICES[name].get("image") for name in APP_SERVICES}
    builds = {yaml.safe_dump(SERVICES[name]["build"]) for name in APP_SERVICES}
    assert len(images) == 1 and None not in images, f"one tagged image for all, got {images}"
    build = SERVICES[APP_SERVICES[0]]["build"]
    assert len(builds) == 1 and build in (".", {"context": ".", "dockerfile": "Dockerfile"})


@pytest.mark.parametrize("name", sorted(set(SERVICES) - set(APP_SERVICES)))
def test_public_images_are_pinned(name):
    image = SERVICES[name].get("image", "")
    tag = image.split("@")[0].rsplit("/", 1)[-1].partition(":")[2]
    assert (tag and tag != "latest") or "@sha256:" in image, f"{name}: {image!r} is not pinned"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dependencies_wait_until_ready(name):
    depends_on = SERVICES[name].get("depends_on", {})
    assert isinstance(depends_on, dict), "list-form depends_on waits only for a container start"
    for target, spec in depends_on.items():
        assert target in SERVICES, f"{name} depends on unknown service {target!r}"
        if "healthcheck" in SERVICES[target]:
            expected = "service_healthy"
        else:
            assert target in ONE_SHOT_SERVICES, f"{target} has no healthcheck to wait for"
            expected = "service_completed_successfully"
        assert spec.get("condition") == expected, f"{name} -> {target}"


@pytest.mark.parametrize("name", sorted(set(SERVICES) - ONE_SHOT_SERVICES))
def test_long_running_services_have_healthchecks(name):
    healthcheck = SERVICES[name].get("healthcheck", {})
    assert not healthcheck.get("disable") and healthcheck.get("test", ["NONE"])[0] != "NONE"
    assert healthcheck["test"][0] in ("CMD", "CMD-SHELL")


@pytest.mark.parametrize("name", sorted(ONE_SHOT_SERVICES))
def test_one_shot_services_are_not_restarted(name):
    assert SERVICES[name].get("restart", "no") in ("no", "on-failure")


# --- programs, queues, ports ------------------------------------------------------------------
@pytest.mark.parametrize(("name", "part"), list(_app_programs()))
def test_program_exists(name, part, project_install):
    service = SERVICES[name]
    argv = _argv(service["command"]) if part == "command" else _healthcheck_argv(service)
    assert argv, f"{name} states no {part}"
    assert argv[0] in PROGRAM_CHECKS, f"no check knows the program {argv[0]!r}: add one"
    PROGRAM_CHECKS[argv[0]](argv, project_install)


def test_every_queue_has_a_consumer():
    from indus.celery import QUEUES

    consumed = set()
    for name in APP_SERVICES:
        argv = _argv(SERVICES[name]["command"])
        if argv[0] == "celery" and _celery_subcommand(argv) == "worker":
            queues = _option(argv, "-Q", "--queues")
            consumed |= set(queues.split(",")) if queues else set(QUEUES)
        consumed |= PROGRAM_QUEUES.get(argv[0], set())
    assert consumed >= set(QUEUES), f"nobody consumes {set(QUEUES) - consumed}"


def _celery_pinged_services():
    for name in APP_SERVICES:
        argv = _healthcheck_argv(SERVICES[name])
        if argv and argv[0] == "celery" and _option(argv, "-d", "--destination"):
            yield name


@pytest.mark.parametrize("name", list(_celery_pinged_services()))
def test_celery_ping_names_the_workers_node(name):
    destination = _option(_healthcheck_argv(SERVICES[name]), "-d", "--destination")
    node_name = _option(_argv(SERVICES[name]["command"]), "-n", "--hostname") or "celery@%h"
    assert destination == node_name.replace("%h", "$HOSTNAME")


@pytest.mark.parametrize("name", ["web", "flower", "serve", "serve-gpu"])
def test_healthcheck_url_and_published_ports_reach_the_listening_port(name):
    service = SERVICES[name]
    port = _listen_port(_argv(service["command"]))
    url = _healthcheck_url(service)
    assert url.port == port
    for published in service.get("ports", []):
        assert int(str(published).rsplit(":", 1)[-1].split("/")[0]) == port


def _proxy_config() -> str:
    """The nginx configuration the proxy reads: its template, as mounted into the container."""
    mounted = {target: source for source, target in _volume_mounts(SERVICES["proxy"])}
    source = mounted.get("/etc/nginx/templates/default.conf.template")
    assert source, "the proxy mounts no configuration template where nginx's image reads it"
    return (REPO / source).read_text()


def _proxy_directives(name: str) -> list[str]:
    return [value.strip() for value in re.findall(rf"^\s*{name}\s+([^;]+);", _proxy_config(), re.MULTILINE)]


def _proxy_directive(name: str) -> str:
    values = _proxy_directives(name)
    assert len(values) == 1, f"the proxy's configuration sets {name} {len(values)} times"
    return values[0]


# A location's block: anything but braces, and the template's ${VARIABLES}.
LOCATION_BLOCK = r"(?:[^{}]|\$\{\w+\})*"


def _proxy_locations() -> dict[str, str]:
    """Each `location` of the proxy's server, its match and its block (which nests none)."""
    return {match.strip(): block for match, block in
            re.findall(rf"^\s*location\s+([^{{]+)\{{({LOCATION_BLOCK})\}}", _proxy_config(), re.MULTILINE)}


def _block_directives(block: str, name: str) -> list[str]:
    return [value.strip() for value in re.findall(rf"^\s*{name}\s+([^;]+);", block, re.MULTILINE)]


def _proxy_server_directives(name: str) -> list[str]:
    """The server's own `name` directives, outside its locations."""
    outside = re.sub(rf"^\s*location\s+[^{{]+\{{{LOCATION_BLOCK}\}}", "", _proxy_config(), flags=re.MULTILINE)
    return _block_directives(outside, name)


def test_only_the_proxy_is_published_in_front_of_web():
    assert not SERVICES["web"].get("ports"), "web is published beside the proxy: bodies could bypass its limit"
    # On this host's loopback only: the TLS proxy reaches it, nobody else connects and claims
    # an address or HTTPS.
    assert _proxy_directive("listen") == "8000" and SERVICES["proxy"]["ports"] == ["127.0.0.1:8000:8000"]
    web_port = _listen_port(_argv(SERVICES["web"]["command"]))
    assert set(_proxy_directives("proxy_pass")) == {f"http://web:{web_port}"}
    assert urlparse(" ".join(_healthcheck_argv(SERVICES["proxy"])).split()[-1]).port == 8000


def _proxy_default(name: str) -> int:
    default = re.fullmatch(rf"\$\{{{name}:-(\d+)\}}", _environment(SERVICES["proxy"])[name])
    assert default, f"the proxy's {name} has no default"
    return int(default[1])


def test_the_proxy_refuses_bodies_larger_than_any_the_app_takes():
    """Small bodies, read whole before they go on, everywhere but the upload views, whose large
    bodies go on as they arrive."""
    from django.conf import settings

    from indus.core.request_bodies import upload_body_limit

    # Outside an upload: the largest body any other view takes (the settings' default), and nginx
    # buffers it (its default: no proxy_request_buffering outside the upload location).
    assert _proxy_server_directives("client_max_body_size") == ["${INDUS_PROXY_MAX_REQUEST_BYTES}"]
    assert _proxy_default("INDUS_PROXY_MAX_REQUEST_BYTES") == settings.INDUS_MAX_REQUEST_BYTES
    assert _proxy_server_directives("proxy_request_buffering") == []
    assert _block_directives(_proxy_locations()["/"], "client_max_body_size") == []
    assert _block_directives(_proxy_locations()["/"], "proxy_request_buffering") == []
    # On the upload paths: an upload's limit, and no file of nginx's own for what it lets through.
    regex_locations = [match for match in _proxy_locations() if match.startswith("~")]
    assert len(regex_locations) == 1, regex_locations
    upload = _proxy_locations()[regex_locations[0]]
    assert _block_directives(upload, "client_max_body_size") == ["${INDUS_PROXY_MAX_BODY_BYTES}"]
    assert _proxy_default("INDUS_PROXY_MAX_BODY_BYTES") == upload_body_limit()
    assert _block_directives(upload, "proxy_request_buffering") == ["off"]


def test_the_proxys_upload_paths_are_the_upload_views_and_no_other():
    from django.urls import reverse

    from indus.core.request_bodies import UPLOAD_VIEWS

    pattern = re.compile(next(match for match in _proxy_locations() if match.startswith("~"))[1:].strip())
    dataset = {"project_slug": "credit", "dataset_id": 3}
    uploads = {"api:dataset-upload": reverse("api:dataset-upload", kwargs=dataset),
               "admin:datasets_dataset_add": reverse("admin:datasets_dataset_add"),
               "admin:datasets_dataset_upload": reverse("admin:datasets_dataset_upload", args=[3])}
    assert set(uploads) == UPLOAD_VIEWS  # a new upload view needs its path here and in the proxy
    assert all(pattern.fullmatch(path) for path in uploads.values()), uploads
    others = [reverse("api:dataset-from-sql", kwargs=dataset), reverse("api:datasets", kwargs={"project_slug": "credit"}),
              reverse("admin:login"), reverse("admin:datasets_dataset_change", args=[3]),
              uploads["api:dataset-upload"] + "x/", "/prefix" + uploads["admin:datasets_dataset_add"]]
    assert not [path for path in others if pattern.fullmatch(path)]


def test_the_proxy_forwards_an_address_and_a_scheme_only_from_the_tls_proxy():
    """nginx replaces X-Forwarded-For with the one address it found (the TLS proxy's last entry,
    or the connection's own), so the web service trusts exactly one proxy; X-Forwarded-Proto
    comes from the TLS proxy only."""
    assert _environment(SERVICES["web"])["INDUS_NUM_PROXIES"] == "${INDUS_NUM_PROXIES:-1}"
    assert _proxy_directive("set_real_ip_from") == "${INDUS_TLS_PROXY_ADDRESS}"
    assert _environment(SERVICES["proxy"])["INDUS_TLS_PROXY_ADDRESS"].startswith("${INDUS_TLS_PROXY_ADDRESS:-")
    assert _proxy_directive("real_ip_header") == "X-Forwarded-For"
    assert _proxy_directive("real_ip_recursive") == "off"
    headers = dict(value.split(None, 1) for value in _proxy_directives("proxy_set_header"))
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["X-Forwarded-Proto"] == "$forwarded_proto"
    config = _proxy_config()
    assert re.search(r"geo \$realip_remote_addr \$from_tls_proxy \{\s*default 0;\s*\$\{INDUS_TLS_PROXY_ADDRESS\} 1;", config)
    assert re.search(r"map \$from_tls_proxy \$forwarded_proto \{\s*1 \$http_x_forwarded_proto;\s*default \$scheme;", config)


@pytest.mark.parametrize("location,limit", [("@request_too_large", "INDUS_PROXY_MAX_REQUEST_BYTES"),
                                            ("@upload_too_large", "INDUS_PROXY_MAX_BODY_BYTES")])
def test_the_proxys_413_is_the_apis_error_format(location, limit):
    from indus.core.errors import error_body

    assert f"413 {location}" in _proxy_directives("error_page")
    answer = re.search(rf"location {location} \{{.*?return 413 '([^']*)';", _proxy_config(), re.DOTALL)
    assert answer, "the named location answers no 413"
    body = json.loads(answer[1].replace("\\n", "").replace("${" + limit + "}", "1074790400"))
    assert body.keys() == error_body("x", "y").keys() and body["error"].keys() == error_body("x", "y")["error"].keys()
    assert (body["error"]["code"], body["error"]["details"]) == ("too_large", {"limit_bytes": 1074790400})


def test_web_healthcheck_is_a_django_url_on_an_allowed_host():
    from django.urls import resolve

    service = SERVICES["web"]
    url = _healthcheck_url(service)
    resolve(url.path)
    allowed = re.sub(r"\$\{[^}]*\}", "", _environment(service)["ALLOWED_HOSTS"]).split(",")
    assert url.hostname in allowed


def test_beat_keeps_its_schedule_in_the_var_dir():
    schedule = _option(_argv(SERVICES["beat"]["command"]), "-s", "--schedule")
    assert str(Path(schedule).parent) == _dockerfile_env()["INDUS_VAR_DIR"]
    healthcheck = " ".join(_healthcheck_argv(SERVICES["beat"]))
    assert schedule in healthcheck, "the healthcheck watches another file"


@pytest.mark.parametrize("name", ["worker-gpu", "serve-gpu"])
def test_gpu_services_reserve_nvidia_devices(name):
    devices = SERVICES[name]["deploy"]["resources"]["reservations"]["devices"]
    assert any(
        device.get("driver") == "nvidia" and "gpu" in device.get("capabilities", [])
        and (device.get("count") == "all" or isinstance(device.get("count"), int) or device.get("device_ids"))
        for device in devices
    )


# --- environment and volumes -----------------------------------------------------------------
@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_uses_only_variables_settings_read(name):
    service = SERVICES[name]
    used = set(_environment(service)) | _interpolated_vars(service)
    unknown = used - _settings_env_vars() - BOTO_ENV_VARS
    assert not unknown, f"{name} uses variables settings.py never reads: {sorted(unknown)}"


def test_dockerfile_sets_only_variables_settings_read():
    unknown = set(_dockerfile_env()) - _settings_env_vars() - TOOL_ENV_VARS
    assert not unknown, f"the Dockerfile sets variables settings.py never reads: {sorted(unknown)}"


def test_artifacts_volume_is_shared_at_the_settings_path():
    sources = set()
    for name in ARTIFACT_USERS:
        path = _environment(SERVICES[name]).get("INDUS_ARTIFACTS_DIR")
        mounted = {target: source for source, target in _volume_mounts(SERVICES[name])}
        assert path in mounted, f"{name} has no volume at INDUS_ARTIFACTS_DIR={path!r}"
        sources.add(mounted[path])
    assert len(sources) == 1, f"artifact users mount different volumes: {sources}"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_named_volumes_are_declared(name):
    declared = set(COMPOSE.get("volumes") or {})
    for source, _ in _volume_mounts(SERVICES[name]):
        if source and not source.startswith(("/", ".", "~")):
            assert source in declared, f"{name} mounts undeclared volume {source!r}"


# --- Dockerfile and build context --------------------------------------------------------------
def test_dockerfile_copies_only_existing_paths_the_context_keeps():
    patterns = _dockerignore_patterns()
    sources = _dockerfile_copy_sources()
    assert sources
    for source in sources:
        assert list(REPO.glob(source)), f"COPY {source}: no such path"
        dropped = any(fnmatch(source, pattern) for pattern in patterns)
        assert not dropped, f".dockerignore drops {source}"


def test_dockerignore_keeps_secrets_and_local_state_out():
    assert {".env", ".git", ".venv", "var"} <= set(_dockerignore_patterns())


def test_dockerfile_installs_platform_workers_and_every_plugin(project_install):
    manifests = REPO.glob("plugins/*/pyproject.toml")
    plugins = {f"./{manifest.parent.relative_to(REPO)}" for manifest in manifests}
    assert _workers_extras(project_install) is not None, "the image does not install ./workers"
    assert any(re.fullmatch(r"\.(\[.*\])?", arg) for arg in project_install), "the platform itself"
    assert plugins <= set(project_install), f"plugins left out: {plugins - set(project_install)}"


def test_serving_runs_the_serve_command_with_kserve_installed_on_loopback(project_install):
    """Both flavours start `manage.py serve` on the port they publish, on this host only, and
    the image installs the workers' `serving` extra, which brings KServe."""
    serving_extra = _pyproject("workers/pyproject.toml")["project"]["optional-dependencies"]["serving"]
    assert "kserve" in {_requirement_name(requirement) for requirement in serving_extra}
    assert "serving" in _workers_extras(project_install)
    for name in ("serve", "serve-gpu"):
        argv = _argv(SERVICES[name]["command"])
        assert argv[1:3] == ["manage.py", "serve"]
        assert SERVICES[name]["ports"] == [f"127.0.0.1:{_listen_port(argv)}:{_listen_port(argv)}"]
        assert _healthcheck_url(SERVICES[name]).path == "/v2/health/ready"
    assert "deploy" not in SERVICES["serve"], "the CPU flavour reserves no GPU"
