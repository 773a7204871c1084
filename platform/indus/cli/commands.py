"""The subcommands. Each takes the parsed arguments and a Client and returns an exit code."""
import json
from pathlib import Path

from indus.cli import output
from indus.cli.client import ApiError, Client
from indus.cli.progress import watch

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
    kind = args.kind.replace("-", "_")
    body = {"kind": kind, "dataset_version": args.dataset_version, "task": args.task,
            "model_name": args.model, "backbone": args.backbone, "parent_version": args.parent_version,
            "processes": args.processes, "model_version": args.model_version, "output_format": args.output_format,
            "explain": {"top": args.explain_top} if args.explain_top else None, "int8": args.int8 or None}
    if kind == "fine_tune":
        body["hyperparameters"] = dict(args.set or [])
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else None
    job = client.post(f"projects/{args.project}/jobs/", {k: v for k, v in body.items() if v is not None}, headers)
    return report_job(args, client, job, body["kind"])


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


def models_versions(args, client: Client) -> int:
    model = id_by_name(client, args.project, "models", args.model)
    output.show(args, list(client.get_all(f"projects/{args.project}/models/{model}/versions/")),
                ["number", "metrics", "aliases", "dataset_version", "job", "created_at"])
    return OK


def models_download(args, client: Client) -> int:
    model = id_by_name(client, args.project, "models", args.model)
    destination = Path(args.output or f"{args.model}-v{args.version}.zip")
    size = client.download(f"projects/{args.project}/models/{model}/versions/{args.version}/artifacts/", destination)
    print(f"wrote {destination} ({size} bytes)")
    return OK
