"""The subcommands. Each takes the parsed arguments and a Client and returns an exit code."""
import json
from pathlib import Path

from indus.cli import output
from indus.cli.client import ApiError, Client
from indus.cli.progress import watch
from indus.cli.submissions import kind_parser, request_body, submission_schemas

OK, JOB_FAILED = 0, 1


class UsageError(Exception):
    """The command line asks for something that cannot be done (a file that is not there)."""

JOB_COLUMNS = ["id", "kind", "state", "progress", "created_by", "created_at", "error"]


# --- projects -------------------------------------------------------------------------------

def projects_list(args, client: Client) -> int:
    output.show(args, list(client.get_all("projects/")), ["slug", "name", "role", "created_at"])
    return OK


# --- datasets -------------------------------------------------------------------------------

def datasets_list(args, client: Client) -> int:
    output.show(args, list(client.get_all(f"projects/{args.project}/datasets/")),
                ["id", "name", "latest_version", "created_by", "created_at"])
    return OK


def id_by_name(client: Client, project: str, collection: str, name: str) -> int:
    """The id of the project's dataset or model (`collection`) called `name`."""
    found = list(client.get_all(f"projects/{project}/{collection}/", {"name": name}))
    if not found:
        raise ApiError(404, "not_found", f"project {project} has no {collection[:-1]} named {name!r}")
    return found[0]["id"]


def dataset_id_made_if_missing(client: Client, project: str, name: str) -> int:
    try:
        return id_by_name(client, project, "datasets", name)
    except ApiError as error:
        if error.status != 404:
            raise
    print(f"created dataset {name!r} in {project}")
    return client.post(f"projects/{project}/datasets/", {"name": name})["id"]


def datasets_upload(args, client: Client) -> int:
    file_path = Path(args.file)
    if not file_path.is_file():
        raise UsageError(f"no file {file_path}")
    dataset = dataset_id_made_if_missing(client, args.project, args.dataset)
    job = client.upload(f"projects/{args.project}/datasets/{dataset}/upload/", file_path,
                        {"task": args.task, "encoding": args.encoding, "delimiter": args.delimiter})
    return report_job(args, client, job, "import")


def datasets_from_sample(args, client: Client) -> int:
    dataset = dataset_id_made_if_missing(client, args.project, args.dataset)
    job = client.post(f"projects/{args.project}/datasets/{dataset}/from-sample/",
                      {"sample": args.sample, "rows": args.rows, "seed": args.seed})
    return report_job(args, client, job, "sample")


def datasets_versions(args, client: Client) -> int:
    dataset = id_by_name(client, args.project, "datasets", args.dataset)
    output.show(args, list(client.get_all(f"projects/{args.project}/datasets/{dataset}/versions/")),
                ["id", "number", "source", "row_count", "size_bytes", "created_at"])
    return OK


# --- jobs -----------------------------------------------------------------------------------

def jobs_submit(args, client: Client) -> int:
    """Submit a job with the flags the server's schema gives the kind (`--help` lists them)."""
    offered = submission_schemas(client.get_schema())
    kind = args.kind.replace("-", "_")
    if kind not in offered:
        known = ", ".join(name.replace("_", "-") for name in offered)
        raise UsageError(f"the server has no job kind {args.kind!r}; it offers: {known}")
    parser, names = kind_parser(args.kind, offered[kind])
    options = parser.parse_args(args.inputs)
    args.watch, args.interval = options.watch, options.interval
    headers = {"Idempotency-Key": options.idempotency_key} if options.idempotency_key else None
    job = client.post(f"projects/{args.project}/jobs/", request_body(kind, names, options), headers)
    return report_job(args, client, job, kind)


def report_job(args, client: Client, job: dict, what: str) -> int:
    """Say which job the request made, then follow it if --watch."""
    if args.json and not args.watch:
        output.print_json(job)
    else:
        print(f"{what} job {job['id']} {job['state']}")
    return follow(args, client, job["id"]) if args.watch else OK


def jobs_list(args, client: Client) -> int:
    jobs = client.get_all(f"projects/{args.project}/jobs/", {"state": args.state, "kind": args.kind})
    output.show(args, list(jobs), JOB_COLUMNS)
    return OK


def jobs_show(args, client: Client) -> int:
    job = client.get(f"projects/{args.project}/jobs/{args.job}/")
    output.show(args, job, None if args.json else [*JOB_COLUMNS, "progress_message", "result"])
    if not args.json:
        for event in job["events"]:
            print(f"  {event['created_at']}  {event['level']:<7} {event['message']}")
    return OK


def jobs_cancel(args, client: Client) -> int:
    job = client.post(f"projects/{args.project}/jobs/{args.job}/cancel/")
    print(f"job {job['id']} {'cancellation requested' if job['cancel_requested'] else job['state']}")
    return OK


def jobs_predictions(args, client: Client) -> int:
    destination = Path(args.output or f"predictions-job-{args.job}")
    size = client.download(f"projects/{args.project}/jobs/{args.job}/predictions/", destination)
    print(f"wrote {destination} ({size} bytes)")
    return OK


def jobs_watch(args, client: Client) -> int:
    return follow(args, client, args.job)


def follow(args, client: Client, job_id: int) -> int:
    job = watch(client, args.project, job_id, interval=args.interval)
    if job["state"] == "succeeded":
        if job["result"]:
            print(f"result: {json.dumps(job['result'])}")
        return OK
    print(f"job {job_id} {job['state']}" + (f": {job['error']}" if job["error"] else ""))
    return JOB_FAILED


# --- models ---------------------------------------------------------------------------------

def models_list(args, client: Client) -> int:
    models = list(client.get_all(f"projects/{args.project}/models/"))
    for model in models:
        model["aliases"] = ", ".join(f"{a['name']}=v{a['version']}" for a in model["aliases"])
    output.show(args, models, ["id", "name", "task", "latest_version", "aliases"])
    return OK


def verdict_cell(version: dict) -> str:
    """The verdict as a table shows it; a version no better than the trivial baseline says so first."""
    verdict = version.get("verdict") or {}
    metric = f" ({verdict['metric']})" if verdict.get("metric") else ""
    return ("FLAGGED: " if version.get("flagged") else "") + f"{verdict.get('title', '-')}{metric}"


def models_versions(args, client: Client) -> int:
    model = id_by_name(client, args.project, "models", args.model)
    versions = list(client.get_all(f"projects/{args.project}/models/{model}/versions/"))
    if not args.json:
        versions = [{**version, "verdict": verdict_cell(version)} for version in versions]
    output.show(args, versions, ["number", "verdict", "metrics", "aliases", "dataset_version", "job", "created_at"])
    return OK


def models_alias(args, client: Client) -> int:
    model = id_by_name(client, args.project, "models", args.model)
    alias = client.put(f"projects/{args.project}/models/{model}/aliases/{args.alias}/",
                       {"version": args.version, "force": args.force})
    print(f"alias {alias['name']} of {args.model} now points at version {alias['version']}")
    return OK


# --- tasks ----------------------------------------------------------------------------------

def tasks_defaults(args, client: Client) -> int:
    task = client.get(f"tasks/{args.task}/")
    backbone = args.backbone or task["backbone"]
    by_backbone = task.get("hyperparameter_defaults") or {}
    if backbone not in by_backbone:
        raise UsageError(f"task {args.task} reads no data backbone {backbone!r} encodes; "
                         f"its backbones are {', '.join(sorted(by_backbone))}")
    defaults = by_backbone[backbone]
    if args.json:
        output.print_json({"task": args.task, "backbone": backbone, "hyperparameter_defaults": defaults})
    else:
        print(f"defaults of {args.task} on backbone {backbone}:")
        for name, value in defaults.items():
            print(f"  {name}: {value}")
    return OK


def models_download(args, client: Client) -> int:
    model = id_by_name(client, args.project, "models", args.model)
    destination = Path(args.output or f"{args.model}-v{args.version}.zip")
    size = client.download(f"projects/{args.project}/models/{model}/versions/{args.version}/artifacts/", destination)
    print(f"wrote {destination} ({size} bytes)")
    return OK


# --- task bindings (`indus tasks`) -----------------------------------------------------------

BINDING_COLUMNS = ["id", "template", "dataset_version", "target", "id_column", "positive_label", "created_at"]


def binding_body(args) -> dict:
    """The binding's fields the command line gives; the server infers the rest."""
    body = {"dataset_version": args.dataset_version, "target": args.target, "template": args.template,
            "inputs": args.input, "id_column": args.id_column, "labels": args.labels and args.labels.split(","),
            "positive_label": args.positive_label, "group_column": args.group_column, "time_column": args.time_column}
    return {name: value for name, value in body.items() if value is not None}


def tasks_infer(args, client: Client) -> int:
    proposal = client.get(f"projects/{args.project}/task-bindings/infer/", binding_body(args))
    if args.json:
        output.print_json(proposal)
        return OK
    target = proposal.get("target_inference") or {}
    print(f"template: {proposal['template']} ({proposal['template_reason']})")
    if target:
        print(f"target: {target['column']}, {target['kind']} ({target['kind_reason']})")
    if proposal["labels"]:
        positive = f"; positive: {proposal['positive_label']!r}" if proposal["positive_label"] else ""
        print(f"labels: {', '.join(map(repr, proposal['labels']))}{positive}")
    for role in ("group", "time"):
        if proposal.get(f"{role}_reason"):
            print(f"{role} column: {proposal[f'{role}_column'] or '-'} ({proposal[f'{role}_reason']})")
    output.print_table(
        [{"column": c["name"], "role": c["role"], "type": c["type"] or "-",
          "why": c["role_reason"] if c["role"] != "input" else c["type_reason"]} for c in proposal["columns"]],
        ["column", "role", "type", "why"],
    )
    for field, messages in proposal["problems"].items():
        for message in messages:
            print(f"problem ({field}): {message}")
    print("valid: create it with `indus tasks create` and the same options" if proposal["valid"]
          else "not valid: change the options above and infer again")
    return OK


def tasks_create(args, client: Client) -> int:
    binding = client.post(f"projects/{args.project}/task-bindings/", binding_body(args))
    output.show(args, binding, None if args.json else [*BINDING_COLUMNS, "inputs", "labels"])
    return OK


def tasks_list(args, client: Client) -> int:
    output.show(args, list(client.get_all(f"projects/{args.project}/task-bindings/")), BINDING_COLUMNS)
    return OK


def tasks_show(args, client: Client) -> int:
    binding = client.get(f"projects/{args.project}/task-bindings/{args.binding}/")
    output.show(args, binding, None if args.json else [*BINDING_COLUMNS, "inputs", "left_out", "labels", "model_versions"])
    return OK
