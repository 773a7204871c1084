"""The serving process: KServe's ModelServer, with the platform's tokens, roles and aliases.

KServe's `ModelServer` runs the HTTP server (uvicorn, FastAPI) and answers the Open Inference
Protocol (V2) and its V1 predict; it exports Prometheus metrics at /metrics. What it does not
do, this module adds through its documented extension points, the FastAPI `app`
(`kserve.model_server.app`), a model repository and `InferenceModel`:

- `Gateway`, an ASGI middleware in front of every route: it caps the body, reads the caller's
  API token and resolves the model named in the path (`<project>.<model>`, an alias or version
  after `@` or in V2's `/versions/<v>`) to its versions, so a model of another project is a 404
  before KServe sees the request; and it gives every error the REST API's one format;
- `AliasRepository`, KServe's model repository, whose models are the platform's: a name is
  resolved on demand, not registered at start;
- `Serving`: the versions loaded in a shared `ModelCache` under a memory budget (least
  recently used evicted), one `DynamicBatcher` per version, the canary split, and hot reload:
  when an alias moves, the new version loads while the old one keeps answering;
- the plain JSON route, `POST /projects/<project>/models/<model>/predict`.
"""
import asyncio
import contextvars
import gc
import hashlib
import hmac
import json
import logging
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import torch
from django.conf import settings
from django.db import connection
from django.db.utils import InterfaceError, OperationalError

from indus.core.errors import error_body
from indus.serving import directory, metrics
from indus.serving.directory import Refused, ServedTarget, VersionRef
from indus.serving.request_log import RequestLog
from indus_workers.devices import choose_device
from indus_workers.inference.cache import ModelCache
from indus_workers.inference.explain import ExplanationUnsupported, explain_rows
from indus_workers.inference.predictor import BatchPredictor, available_cores
from indus_workers.serving.batching import DynamicBatcher, QueueFull, RequestTimedOut
from indus_workers.serving.canary import CanarySplit
from indus_workers.serving.rows import RowsRefused, ServedModel

logger = logging.getLogger(__name__)

VERSION_HEADER = "x-indus-model-version"
METRICS_PATH = "/metrics"
#: The target the Gateway resolved for the request being answered.
CURRENT_TARGET: contextvars.ContextVar[ServedTarget] = contextvars.ContextVar("indus_serving_target")


@dataclass(frozen=True)
class ServingConfig:
    port: int = 8100
    max_batch_rows: int = field(default_factory=lambda: settings.INDUS_SERVING_MAX_BATCH_ROWS)
    max_wait_seconds: float = field(default_factory=lambda: settings.INDUS_SERVING_MAX_WAIT_MS / 1000)
    max_queue_rows: int = field(default_factory=lambda: settings.INDUS_SERVING_MAX_QUEUE_ROWS)
    request_timeout_seconds: float = field(default_factory=lambda: settings.INDUS_SERVING_REQUEST_TIMEOUT_SECONDS)
    max_rows: int = field(default_factory=lambda: settings.INDUS_SERVING_MAX_ROWS)
    max_body_bytes: int = field(default_factory=lambda: settings.INDUS_SERVING_MAX_BODY_BYTES)
    memory_bytes: int = field(default_factory=lambda: settings.INDUS_SERVING_MEMORY_BYTES)
    cpu_precision: str = field(default_factory=lambda: settings.INDUS_SERVING_CPU_PRECISION)
    compute_threads: int = field(default_factory=lambda: settings.INDUS_SERVING_COMPUTE_THREADS)
    refresh_seconds: float = field(default_factory=lambda: settings.INDUS_SERVING_REFRESH_SECONDS)
    request_log_flush_seconds: float = field(default_factory=lambda: settings.INDUS_SERVING_REQUEST_LOG_FLUSH_SECONDS)
    request_log_buffer_rows: int = field(default_factory=lambda: settings.INDUS_SERVING_REQUEST_LOG_BUFFER_ROWS)
    replicas: int = field(default_factory=lambda: settings.INDUS_SERVING_REPLICAS)
    explain_max_rows: int = field(default_factory=lambda: settings.INDUS_SERVING_EXPLAIN_MAX_ROWS)
    metrics_token: str = field(default_factory=lambda: settings.INDUS_SERVING_METRICS_TOKEN)


@dataclass(frozen=True)
class Answer:
    """A request's predictions, the version that computed them, and explanations if asked for."""

    version: VersionRef
    predictions: list[dict]
    explanations: list[dict] | None = None


class Recent:
    """Answers (or refusals) of the database thread kept for `seconds`: a token or an alias is
    read once a second, not once a request. Requests that find an entry out of date together
    wait for one read: a batch's answers go out at once, so its callers come back at once, and
    each reading the token and the alias again queued dozens of reads on the one database
    thread, once a second."""

    def __init__(self, seconds: float, max_entries: int = 10_000):
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict = {}
        self._reading: dict = {}  # key -> the read in flight

    async def get(self, key, compute):
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            reading = self._reading.get(key)
            if reading is None:
                reading = self._reading[key] = asyncio.ensure_future(self._read(key, compute))
            entry = await asyncio.shield(reading)
        if entry[2] is not None:
            raise entry[2]
        return entry[1]

    async def _read(self, key, compute) -> tuple:
        try:
            try:
                entry = (time.monotonic() + self.seconds, await compute(), None)
            except Refused as refused:
                entry = (time.monotonic() + self.seconds, None, refused)
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = entry
            return entry
        finally:
            del self._reading[key]


class Serving:
    def __init__(self, config: ServingConfig):
        self.config = config
        self.plan = choose_device(cpu_precision=config.cpu_precision)
        self.cache = ModelCache(max_models=sys.maxsize, device=self.plan.device, max_bytes=config.memory_bytes,
                                on_evict=self._evicted, weights_dtype=self.plan.inference_weights_dtype)
        self._database = ThreadPoolExecutor(1, thread_name_prefix="indus-db")
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="indus-load")
        self._compute = ThreadPoolExecutor(1, thread_name_prefix="indus-compute")
        self._callers = Recent(config.refresh_seconds)
        self._targets = Recent(config.refresh_seconds)
        self._folders: dict[int, str] = {}
        self._served: dict[int, ServedModel] = {}
        self._batchers: dict[int, DynamicBatcher] = {}
        self._loading: dict[int, asyncio.Future] = {}
        self._answering: dict[tuple, VersionRef] = {}  # (target key, main | canary) -> last version that answered
        self.split = CanarySplit()
        self.request_log = RequestLog(max_buffered_rows=config.request_log_buffer_rows, replicas=config.replicas)
        self._flusher: asyncio.Task | None = None
        # By default a forward takes every core: on an idle two-core machine, 32 clients'
        # batched MiniLM requests were answered 1.6x (fp32) and 1.2x (bf16) faster on two threads
        # than on one, the event loop fitting in the gaps. Single-row forwards gain nothing from
        # a second thread, and on cores shared with other busy processes torch's threads wait
        # on each other: INDUS_SERVING_COMPUTE_THREADS sets fewer.
        torch.set_num_threads(config.compute_threads or available_cores())

    # --- the platform's database -------------------------------------------------------------

    async def _in_database(self, function, **kwargs):
        def call():
            try:
                return function(**kwargs)
            except (OperationalError, InterfaceError):
                connection.close()  # a dropped connection: one more try on a new one
                return function(**kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._database, call)

    async def caller(self, authorization: str | None):
        key = hashlib.sha256((authorization or "").encode()).hexdigest()
        return await self._callers.get(key, lambda: self._in_database(directory.caller_for_authorization, authorization=authorization))

    async def target(self, user, project: str, model: str, selector: str | None) -> ServedTarget:
        selector = directory.normalised_selector(selector)
        return await self._targets.get(
            (user.pk, project, model, selector),
            lambda: self._in_database(directory.served_target, user=user, project_slug=project, model_name=model, selector=selector),
        )

    # --- versions in memory ------------------------------------------------------------------

    def holds(self, version: VersionRef) -> bool:
        # `_keep` and `_evicted` keep `_served` in step with the cache; asking the cache would
        # resolve and stat the model's folder on the event loop at every request.
        return version.id in self._served

    async def ready_version(self, slot: tuple, version: VersionRef) -> VersionRef:
        """The version to answer with: `version` once it is loaded. While it loads, the version
        that answered this slot before keeps answering, so moving an alias fails no request."""
        if self.holds(version):
            self._answering[slot] = version
            return version
        previous = self._answering.get(slot)
        if previous is not None and previous.id != version.id and self.holds(previous):
            self._load(version)  # in the background; the next requests switch once it is in
            return previous
        await self._load(version)
        self._answering[slot] = version
        return version

    def _load(self, version: VersionRef) -> asyncio.Future:
        loading = self._loading.get(version.id)
        if loading is None or (loading.done() and not self.holds(version)):
            loading = asyncio.ensure_future(self._load_now(version))
            loading.add_done_callback(lambda done: done.exception())  # a background load's failure is logged below
            self._loading[version.id] = loading
        return loading

    async def _load_now(self, version: VersionRef) -> None:
        loop = asyncio.get_running_loop()
        try:
            folder = await loop.run_in_executor(self._loader, directory.local_model_folder, version.artifact_path)
            model = await loop.run_in_executor(self._loader, self.cache.get, folder)
            served = ServedModel(model)
        except ValueError as error:
            raise Refused(409, "not_servable", str(error)) from None
        except Exception:
            logger.exception("loading model version %s (%s) failed", version.id, version.artifact_path)
            raise Refused(503, "model_unavailable", f"version {version.number} could not be loaded; the server logged why") from None
        self._folders[version.id] = folder
        self._keep(version, served)
        metrics.LOADED_MODELS.set(len(self.cache))
        metrics.LOADED_BYTES.set(self.cache.bytes_held)
        freeze_long_lived_objects()

    def _keep(self, version: VersionRef, served: ServedModel) -> None:
        self._served[version.id] = served
        if not self.cache.holds(self._folders[version.id]):  # evicted meanwhile: held by no one
            self._served.pop(version.id, None)

    def _evicted(self, key: tuple) -> None:
        """The cache let a model go: so does every version served from its folder, or the
        memory budget would hold only on paper. The version's batcher, which holds no model,
        stays for the requests queued in it; the next request loads the model again."""
        folder = key[0]
        for version_id, held in list(self._folders.items()):
            if str(Path(held).resolve()) == folder:
                self._served.pop(version_id, None)
        gc.unfreeze()  # a model held in reference cycles is freed by the next collection (the load's)
        metrics.LOADED_MODELS.set(len(self.cache))
        metrics.LOADED_BYTES.set(self.cache.bytes_held)

    async def ready(self, slot: tuple, version: VersionRef) -> tuple[VersionRef, ServedModel]:
        """`ready_version` with its loaded model; a model evicted between the two is loaded again."""
        for _ in range(3):
            answering = await self.ready_version(slot, version)
            served = self._served.get(answering.id)
            if served is not None:
                return answering, served
        raise Refused(503, "model_unavailable", f"version {version.number} was evicted as soon as it was loaded; "
                      "the serving memory budget (INDUS_SERVING_MEMORY_BYTES) is too small for the models in use")

    def _batcher(self, target: ServedTarget, version: VersionRef) -> DynamicBatcher:
        batcher = self._batchers.get(version.id)
        if batcher is None:
            labels = {"model": f"{target.project}.{target.model}", "version": str(version.number)}
            batch_rows, queue_rows = metrics.BATCH_ROWS.labels(**labels), metrics.QUEUE_ROWS.labels(**labels)
            batcher = DynamicBatcher(
                lambda tables: self._compute_batch(version, tables),
                executor=self._compute,
                max_batch_rows=self.config.max_batch_rows,
                max_wait_seconds=self.config.max_wait_seconds,
                max_queue_rows=self.config.max_queue_rows,
                on_batch=lambda rows, seconds: batch_rows.observe(rows),
                on_queue=queue_rows.set,
            )
            self._batchers[version.id] = batcher
        return batcher

    def _compute_batch(self, version: VersionRef, tables: list) -> list[list[dict]]:
        """On the compute thread: one featurize and forward for the tables of a batch. The
        cache lookup marks the version recently used (and reloads it if it was evicted)."""
        model = self.cache.get(self._folders[version.id])
        served = self._served.get(version.id)
        if served is None or served.model is not model:
            served = ServedModel(model)
            self._keep(version, served)
        predictor = BatchPredictor(model, self.plan, batch_size=self.config.max_batch_rows, should_stop=lambda: False)
        return served.predict(tables, predictor)

    # --- answering ---------------------------------------------------------------------------

    async def predict(self, target: ServedTarget, rows, *, explain: bool = False) -> Answer:
        """The output rows for the request's rows, the version that computed them, and with
        `explain`, one explanation per row (computed apart from the batch: it is costly)."""
        if explain and isinstance(rows, list) and len(rows) > self.config.explain_max_rows:
            raise Refused(400, "too_many_rows", f"explanations are computed for at most {self.config.explain_max_rows} rows "
                          f"a request (INDUS_SERVING_EXPLAIN_MAX_ROWS); this one has {len(rows)}", field="explain")
        chosen = self.split.choose(target.key, main=target.main, canary=target.canary, canary_percent=target.canary_percent)
        slot = (target.key, "canary" if chosen is target.canary else "main")
        version, served = await self.ready(slot, chosen)
        try:
            table = served.table(rows, max_rows=self.config.max_rows)
        except RowsRefused as refused:
            first = refused.problems[0]
            raise Refused(400, first.code, first.message, field=first.field, details={
                "errors": [{"field": problem.field, "code": problem.code, "message": problem.message} for problem in refused.problems],
            }) from None
        try:
            answers = await self._batcher(target, version).submit(table, rows=table.num_rows, timeout=self.config.request_timeout_seconds)
        except QueueFull as full:
            raise Refused(503, "overloaded", str(full), headers={"Retry-After": str(full.retry_after_seconds)},
                          details={"retry_after_seconds": full.retry_after_seconds}) from None
        except RequestTimedOut as timed_out:
            raise Refused(504, "timeout", f"the model gave no answer in time: {timed_out}") from None
        explanations = await self._explained(served, table) if explain else None
        self.request_log.offer(target, version, table, answers)
        if target.log_sample_rate > 0:
            self._start_flusher()
        return Answer(version, answers, explanations)

    async def _explained(self, served: ServedModel, table) -> list[dict]:
        """The rows explained as batch inference explains them, on the compute thread."""
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._compute, lambda: explain_rows(served.model, table, list(range(table.num_rows))))
        except ExplanationUnsupported as unsupported:
            raise Refused(400, "not_supported", str(unsupported), field="explain") from None

    # --- request logging ---------------------------------------------------------------------

    def _start_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush_periodically())

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.config.request_log_flush_seconds)
            await self.flush_request_log()

    async def flush_request_log(self) -> int:
        """Store the logged rows buffered so far, one dataset version per model version, on the
        database thread; rows that could not be stored are dropped, counted and logged.
        Returns the rows stored."""
        stored = 0
        for batch in self.request_log.take():
            try:
                await self._in_database(directory.served_rows_store, project_slug=batch.project, model_name=batch.model,
                                        rows=batch.rows)
                stored += len(batch.rows)
            except Exception:
                logger.exception("storing %d logged rows of %s.%s failed", len(batch.rows), batch.project, batch.model)
                metrics.LOG_DROPPED_ROWS.labels(model=f"{batch.project}.{batch.model}", reason="store_failed").inc(len(batch.rows))
        return stored


def freeze_long_lived_objects() -> None:
    """Leave what exists now (modules, the loaded models' objects) out of Python's cyclic
    garbage collection: a full collection walked all of them, stopping every request for 100 to
    300 ms every few seconds under load (the slowest hundredth of the answers). Called once the
    server is built and after each load; an eviction unfreezes everything, so that this
    collection frees whatever cycles the evicted model was held in."""
    gc.collect()
    gc.freeze()


# --- HTTP ------------------------------------------------------------------------------------

STATUS_CODES = {400: "invalid", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
                405: "method_not_allowed", 413: "too_large", 501: "not_implemented", 503: "unavailable"}


@dataclass(frozen=True)
class Route:
    """What a path asks for: the model it names (None for the server's own routes) and the
    path KServe should see."""

    project: str | None = None
    model: str | None = None
    selector: str | None = None
    path: str | None = None


def _model_name(name: str) -> tuple[str, str, str | None]:
    qualified, _, selector = name.partition("@")
    project, dot, model = qualified.partition(".")
    if not dot or not project or not model:
        raise Refused(404, "not_found", f"model names are <project>.<model>[@alias or version]; got {name!r}")
    return project, model, selector or None


def route_of(path: str, query: str) -> Route:
    parts = path.strip("/").split("/")
    if parts[:1] == ["projects"] and len(parts) == 5 and parts[2] == "models" and parts[4] == "predict":
        asked = parse_qs(query)
        selector = (asked.get("version") or asked.get("alias") or [None])[0]
        return Route(parts[1], parts[3], selector, path)
    if parts[:2] in (["v2", "models"], ["v1", "models"]):
        if len(parts) == 2:
            raise Refused(404, "not_found", "models are listed by the platform's API, per project")
        name, verb = parts[2], parts[3:]
        if parts[0] == "v1":
            name, _, action = name.partition(":")
            if action not in ("", "predict") or verb:
                raise Refused(404, "not_found", f"no endpoint at {path}")
        elif verb[:1] == ["versions"] and len(verb) >= 2:
            name, verb = f"{name.partition('@')[0]}@{verb[1]}", verb[2:]
        project, model, selector = _model_name(name)
        rebuilt = "/".join([parts[0], "models", name if parts[0] == "v2" else parts[2], *verb])
        return Route(project, model, selector, "/" + rebuilt)
    if parts[:2] == ["v2", "repository"]:
        raise Refused(404, "not_found", "models are loaded on demand; the repository extension is off")
    return Route()


async def send_json(send, status: int, body: dict, headers: dict | None = None) -> None:
    content = json.dumps(body).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    raw_headers += [(name.lower().encode(), str(value).encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": content})


async def send_internal_error(send) -> None:
    reference = uuid.uuid4().hex[:12]
    logger.exception("internal error in the serving process (reference %s)", reference)
    await send_json(send, 500, error_body("internal_error", f"internal error; the server logged it under reference {reference}"))


def refused_body(refused: Refused) -> dict:
    return error_body(refused.code, refused.message, refused.field, refused.details)


class Gateway:
    """ASGI middleware: body cap, authentication, the model's project, one error format."""

    def __init__(self, app, serving: Serving):
        self.app = app
        self.serving = serving

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        send = ErrorFormat(send)
        started = time.perf_counter()
        try:
            route = route_of(scope["path"], scope.get("query_string", b"").decode("latin-1"))
            headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
            if route.model is None:
                if scope["path"].rstrip("/") == METRICS_PATH:
                    await self._check_metrics_caller(headers.get("authorization"))
                return await self.app(scope, receive, send)
            receive = await self._capped_body(scope, receive)
            user = await self.serving.caller(headers.get("authorization"))
            target = await self.serving.target(user, route.project, route.model, route.selector)
        except Refused as refused:
            return await send_json(send, refused.status, refused_body(refused), refused.headers)
        except Exception:
            return await send_internal_error(send)
        CURRENT_TARGET.set(target)
        try:
            await self.app({**scope, "path": route.path, "raw_path": route.path.encode()}, receive, send)
        except Exception:
            # Not answered by a handler (KServe's catch-all answers outside this middleware,
            # with the exception's text): answered here, without it, and logged.
            if send.status:
                raise
            await send_internal_error(send)
        model = f"{target.project}.{target.model}"
        metrics.REQUESTS.labels(model=model, version=send.version or "", status=str(send.status)).inc()
        metrics.LATENCY.labels(model=model).observe(time.perf_counter() - started)

    async def _check_metrics_caller(self, authorization: str | None) -> None:
        """/metrics names every project's models and their traffic: it answers the scraper's
        own token (INDUS_SERVING_METRICS_TOKEN, sent as a bearer token) or a staff user's API
        token, and refuses anyone else as the API would."""
        expected = self.serving.config.metrics_token
        if expected and hmac.compare_digest((authorization or "").encode(), f"Bearer {expected}".encode()):
            return
        user = await self.serving.caller(authorization)
        if not user.is_staff:
            raise Refused(403, "permission_denied", "/metrics answers staff users' API tokens and the token set in "
                          "INDUS_SERVING_METRICS_TOKEN")

    async def _capped_body(self, scope, receive):
        """The body read whole, refused with 413 past the cap (from the declared length before
        reading anything), and handed on as one message."""
        limit = self.serving.config.max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise Refused(413, "too_large", f"the request body is over {limit} bytes", field="body")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                raise Refused(413, "too_large", f"the request body is over {limit} bytes", field="body")
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay


class ErrorFormat:
    """Rewrites error bodies that KServe, FastAPI or Starlette made ({"error": "..."},
    {"detail": ...}) into the REST API's format, and hides what a 500 says (it is logged)."""

    def __init__(self, send):
        self.send = send
        self.status = 0
        self.version: str | None = None
        self._start = None
        self._body = b""

    async def __call__(self, message):
        if message["type"] == "http.response.start":
            self.status = message["status"]
            for name, value in message.get("headers", []):
                if name.lower() == VERSION_HEADER.encode():
                    self.version = value.decode()
            if self.status < 400:
                return await self.send(message)
            self._start = message
            return None
        if message["type"] != "http.response.body" or self._start is None:
            return await self.send(message)
        self._body += message.get("body", b"")
        if message.get("more_body"):
            return None
        status, body = self._rewritten(self._start["status"], self._body)
        headers = [(name, value) for name, value in self._start.get("headers", [])
                   if name.lower() not in (b"content-length", b"content-type")]
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        self.status = status
        await self.send({**self._start, "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})

    @staticmethod
    def _rewritten(status: int, raw: bytes) -> tuple[int, bytes]:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"detail": raw.decode(errors="replace")[:200]}
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return status, raw
        if status >= 500 and status != 503:
            reference = uuid.uuid4().hex[:12]
            logger.error("internal error in the serving process (reference %s): %s", reference, raw[:2000])
            return status, json.dumps(error_body("internal_error", f"internal error; the server logged it under reference {reference}")).encode()
        detail = body.get("error") or body.get("detail") if isinstance(body, dict) else body
        if isinstance(detail, list):  # FastAPI's validation errors: a bad V2 request body
            errors = [{"field": ".".join(str(part) for part in item.get("loc", [])[1:]) or None, "code": "invalid",
                       "message": str(item.get("msg"))} for item in detail if isinstance(item, dict)]
            first = errors[0] if errors else {"field": None, "message": "the request body is not valid"}
            return 400, json.dumps(error_body("invalid", first["message"], first["field"], {"errors": errors})).encode()
        return status, json.dumps(error_body(STATUS_CODES.get(status, "error"), str(detail))).encode()


# --- KServe's side: the repository and the model -----------------------------------------------


def _build_kserve(serving: Serving):
    # KServe parses the process's command line when its server module is imported; the
    # management command's own options are not for it.
    argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        from kserve import ModelRepository, ModelServer
        from kserve.model import InferenceModel
        from kserve.model_server import app
        from kserve.protocol.infer_type import InferOutput, InferRequest, InferResponse
    finally:
        sys.argv = argv

    from indus.serving import tensors

    class AliasModel(InferenceModel):
        """A model of the platform as KServe sees it; which versions answer is the request's
        `CURRENT_TARGET`, resolved by the Gateway."""

        def __init__(self, name: str):
            super().__init__(name)
            self.ready = True

        async def healthy(self) -> bool:
            return True

        async def get_input_types(self) -> list[dict]:
            target = CURRENT_TARGET.get()
            _, served = await serving.ready((target.key, "main"), target.main)
            return tensors.input_types(served.columns)

        async def __call__(self, body, headers=None, verb=None):
            target = CURRENT_TARGET.get()
            if isinstance(body, InferRequest):
                answer = await serving.predict(target, tensors.rows_of(body))
                version = answer.version
                outputs = [InferOutput(**output) for output in tensors.outputs_of(answer.predictions)]
                response = InferResponse(response_id=body.id or uuid.uuid4().hex, model_name=self.name,
                                         model_version=str(version.number), infer_outputs=outputs)
            elif isinstance(body, dict):  # V1: {"instances": rows}
                answer = await serving.predict(target, body.get("instances"))
                version = answer.version
                response = {"predictions": answer.predictions, "model_version": version.number}
            else:
                raise Refused(400, "invalid", "the body must be JSON", field="body")
            return response, {VERSION_HEADER: str(version.number)}

    class AliasRepository(ModelRepository):
        """Every model the Gateway let through exists: names are resolved, not registered."""

        def get_model(self, name: str):
            if name not in self.models:
                self.update(AliasModel(name), name)
            return self.models[name]

        async def is_model_ready(self, name: str) -> bool:
            return True

    return ModelServer, app, AliasRepository


def _without_kserve_timing(app) -> None:
    """KServe wraps every request in timing_asgi's middleware: two `getrusage` calls and two
    INFO lines in the log per request, a fifth of the event loop's time under the benchmark's
    load, and a log that grows by megabytes a minute. The Prometheus histogram times requests
    already. KServe adds it as the server starts: it leaves at startup, the stack built again."""
    from timing_asgi import TimingMiddleware

    app.user_middleware = [middleware for middleware in app.user_middleware if middleware.cls is not TimingMiddleware]
    app.middleware_stack = app.build_middleware_stack()


async def _refused_handler(request, refused: Refused):
    from fastapi.responses import JSONResponse

    return JSONResponse(refused_body(refused), status_code=refused.status, headers=refused.headers)


def build_server(config: ServingConfig):
    """The ModelServer, ready to `start([])`, and the `Serving` behind it."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    serving = Serving(config)
    ModelServer, app, AliasRepository = _build_kserve(serving)
    server = ModelServer(http_port=config.port, enable_grpc=False, workers=1, registered_models=AliasRepository(),
                         enable_latency_logging=False)

    async def predict(request: Request, project: str, model: str):
        """Rows in, predictions out: `{"rows": [{column: value}]}` ->
        `{"model", "version", "predictions": [output rows]}`."""
        target = CURRENT_TARGET.get()
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError as error:
            raise Refused(400, "parse_error", f"the body is not JSON: {error}", field="body") from None
        if not isinstance(body, dict) or "rows" not in body:
            raise Refused(400, "required", 'the body must be an object with "rows": [{column: value}, ...]', field="rows")
        explain = body.get("explain", False)
        if not isinstance(explain, bool):
            raise Refused(400, "wrong_type", f"explain takes true or false, not {explain!r}"[:200], field="explain")
        answer = await serving.predict(target, body["rows"], explain=explain)
        answered = {"model": f"{target.project}.{target.model}", "selector": target.selector,
                    "version": answer.version.number, "predictions": answer.predictions}
        if explain:
            answered["explanations"] = answer.explanations
        return JSONResponse(answered, headers={VERSION_HEADER: str(answer.version.number)})

    app.add_api_route("/projects/{project}/models/{model}/predict", predict, methods=["POST"])
    app.add_exception_handler(Refused, _refused_handler)
    app.add_middleware(Gateway, serving=serving)
    # A stopping process stores the rows it logged since the last flush (uvicorn's graceful
    # shutdown runs this once the requests in flight are answered).
    app.router.on_shutdown.append(serving.flush_request_log)
    app.router.on_startup.append(lambda: _without_kserve_timing(app))
    freeze_long_lived_objects()
    return server, serving
