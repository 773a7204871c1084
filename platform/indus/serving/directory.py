"""What the serving process reads from the platform's database: who a token belongs to, which
models they may call, and which versions an alias points at; and where a version's files are.

The same checks as the REST API: the API's bearer-token authentication (revoked, expired and
inactive users refused with the same messages), membership in the model's project (a model of
a project the caller is not in is a 404, as in the API, so its existence is not told), and
versions and aliases read through the registry. Every function here is synchronous ORM code;
the server calls it on its own database thread.
"""
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from rest_framework.exceptions import AuthenticationFailed

from indus.api.authentication import BearerTokenAuthentication
from indus.core.storage import artifact_storage, local_folder
from indus.datasets.models import Dataset, DatasetVersion
from indus.datasets.services import dataset_create
from indus.datasets.snapshots import table_version_store
from indus.registry.models import ModelAlias, ModelVersion, RegisteredModel
from indus.tenancy.models import Project, Role
from indus.tenancy.selectors import project_for_member, user_has_role

DEFAULT_ALIAS = "production"


class Refused(Exception):
    """A request the platform refuses: the HTTP status, the API's error code, the message."""

    def __init__(
        self, status: int, code: str, message: str, *, field: str | None = None, headers: dict | None = None,
        details: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}
        self.details = details or {}


@dataclass(frozen=True)
class VersionRef:
    id: int
    number: int
    artifact_path: str


@dataclass(frozen=True)
class ServedTarget:
    """What a request's model and selector resolve to: the version that answers, and for an
    alias with a canary, the second version and its share."""

    project: str
    model: str
    task: str
    selector: str  # the alias's name, or the version number as text
    main: VersionRef
    canary: VersionRef | None = None
    canary_percent: int = 0
    log_sample_rate: float = 0.0  # request logging (an alias's setting; see request_log.py)
    log_max_rows_per_hour: int = 0

    @property
    def key(self) -> tuple:
        return (self.project, self.model, self.selector)


def caller_for_authorization(authorization: str | None):
    """The user an `Authorization: Bearer indus_...` header belongs to; `Refused` (401) when
    it is missing or not a valid token, with the API's message and code."""
    if not authorization:
        raise Refused(401, "not_authenticated", "give an API token: 'Authorization: Bearer indus_…'",
                      headers={"WWW-Authenticate": 'Bearer realm="api"'})
    request = SimpleNamespace(META={"HTTP_AUTHORIZATION": authorization}, headers={"authorization": authorization})
    try:
        authenticated = BearerTokenAuthentication().authenticate(request)
    except AuthenticationFailed as error:
        raise Refused(401, str(error.get_codes()), str(error.detail), headers={"WWW-Authenticate": 'Bearer realm="api"'}) from None
    if authenticated is None:
        raise Refused(401, "not_authenticated", "the Authorization header must be 'Bearer indus_…'",
                      headers={"WWW-Authenticate": 'Bearer realm="api"'})
    return authenticated[0]


#: Version numbers are stored as a 32-bit integer: a larger number names no version.
MAX_VERSION_NUMBER = 2**31 - 1


def version_number(selector: str) -> int | None:
    """The version a selector names by number, or None for an alias. Only ASCII digits make a
    number: `str.isdigit` also takes "²", which `int` cannot read."""
    return int(selector) if selector.isascii() and selector.isdigit() else None


def normalised_selector(selector: str | None) -> str | None:
    """The selector with a version number in one spelling (`01` is `1`), so both are one target."""
    number = None if selector is None else version_number(selector)
    return selector if number is None else str(number)


def served_target(*, user, project_slug: str, model_name: str, selector: str | None) -> ServedTarget:
    """The versions that answer for `selector` (an alias, `production` when None, or a version
    number). Raises `Refused` 404 for a project the user is not in, a model or alias that does
    not exist, alike."""
    project = project_for_member(user=user, slug=project_slug)
    not_found = Refused(404, "not_found", f"no model {model_name!r} in a project {project_slug!r} you are a member of")
    if project is None or not user_has_role(user=user, project=project, required=Role.VIEWER):
        raise not_found
    model = RegisteredModel.objects.filter(project=project, name=model_name).first()
    if model is None:
        raise not_found
    selector = normalised_selector(selector) or DEFAULT_ALIAS
    number = version_number(selector)
    if number is not None:
        version = ModelVersion.objects.filter(model=model, number=number).first() if number <= MAX_VERSION_NUMBER else None
        if version is None:
            raise Refused(404, "not_found", f"model {model_name!r} has no version {selector}", field="version")
        return ServedTarget(project.slug, model.name, model.task, selector, _ref(version))
    alias = ModelAlias.objects.select_related("version", "canary_version").filter(model=model, name=selector).first()
    if alias is None:
        raise Refused(404, "not_found", f"model {model_name!r} has no alias {selector!r}", field="alias")
    canary = _ref(alias.canary_version) if alias.canary_version_id else None
    return ServedTarget(project.slug, model.name, model.task, selector, _ref(alias.version), canary,
                        alias.canary_percent if canary else 0, alias.log_sample_rate, alias.log_max_rows_per_hour)


def _ref(version: ModelVersion) -> VersionRef:
    return VersionRef(version.pk, version.number, version.artifact_path)


def local_model_folder(artifact_path: str) -> str:
    """A local folder holding the version's files: the stored folder itself on local storage,
    else a copy made once under the var folder (a version's files never change)."""
    storage = artifact_storage()
    try:
        return storage.path(artifact_path)
    except NotImplementedError:
        pass
    copy = Path(settings.VAR_DIR) / "serving-models" / artifact_path.strip("/")
    if not copy.exists():
        with local_folder(artifact_path) as downloaded:
            partial = copy.with_name(copy.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            shutil.copytree(downloaded, partial)
            partial.rename(copy)
    return str(copy)


def served_dataset_name(model_name: str) -> str:
    return f"{model_name}-served"


def served_rows_store(*, project_slug: str, model_name: str, rows: list[dict]) -> DatasetVersion:
    """Logged requests of one model version (see request_log.py) as a new version of the
    project's dataset `<model>-served`, made on first use."""
    project = Project.objects.get(slug=project_slug)
    name = served_dataset_name(model_name)
    dataset = Dataset.objects.filter(project=project, name=name).first()
    if dataset is None:
        try:
            dataset = dataset_create(project=project, name=name,
                                     description=f"rows served by model {model_name!r} and their predictions (request logging)")
        except (IntegrityError, ValidationError):  # another serving process made it first
            dataset = Dataset.objects.get(project=project, name=name)
    columns = list(dict.fromkeys(name for row in rows for name in row))
    table = pa.table({column: pa.array([row.get(column) for row in rows]) for column in columns})
    version, _ = table_version_store(dataset=dataset, table=table, source=DatasetVersion.Source.SERVED,
                                     source_name=f"served by {model_name}")
    return version
