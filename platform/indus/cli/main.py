"""`indus`: the command line. Exit codes: 0 done; 1 the job followed failed or was cancelled;
2 bad usage or no configuration; 3 the API refused the request; 4 the server could not be
reached or failed."""
import argparse
import getpass
import json
import sys

from indus.cli import commands
from indus.cli.client import ApiError, Client, ServerUnreachable
from indus.cli.config import Config, ConfigError, load_config, save_config

USAGE, API_REFUSED, SERVER_PROBLEM = 2, 3, 4


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not getattr(args, "command", None):
        build_parser().print_help()
        return USAGE
    try:
        if args.command is login:  # the one command that makes the configuration
            return login(args)
        return args.command(args, Client(load_config()))
    except (ConfigError, commands.UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE
    except ApiError as error:
        print(f"error: {error.describe()}", file=sys.stderr)
        return SERVER_PROBLEM if error.status >= 500 else API_REFUSED
    except ServerUnreachable as error:
        print(f"error: {error}", file=sys.stderr)
        return SERVER_PROBLEM
    except KeyboardInterrupt:
        return 130


def login(args) -> int:
    """Check the token against the server, then keep both in the config file."""
    url = args.url or input("Indus URL (e.g. http://127.0.0.1:8000): ").strip()
    token = args.token or getpass.getpass("API token (indus_…): ").strip()
    config = Config(url=url.rstrip("/"), token=token)
    tokens = list(Client(config).get_all("tokens/"))
    prefix = token.removeprefix("indus_").split("_", 1)[0]
    name = next((t["name"] for t in tokens if t["prefix"] == prefix), "?")
    print(f"logged in to {config.url} with token {prefix} ({name}); saved to {save_config(config)}")
    return 0


def key_value(text: str) -> tuple[str, object]:
    """`--set key=value`: the value as JSON when it reads as JSON (3, 0.1, true), else text."""
    key, separator, raw = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, not {text!r}")
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="indus", description="Command-line client of the Indus REST API.")
    parser.add_argument("--json", action="store_true", help="print the API's JSON instead of tables")
    areas = parser.add_subparsers(title="commands", metavar="COMMAND")

    login_parser = areas.add_parser("login", help="check a token and save it with the server's URL")
    login_parser.add_argument("--url")
    login_parser.add_argument("--token", help="prompted for when not given")
    login_parser.set_defaults(command=login)

    projects = areas.add_parser("projects", help="projects you are a member of").add_subparsers(metavar="ACTION")
    projects.add_parser("list").set_defaults(command=commands.projects_list)

    datasets = areas.add_parser("datasets", help="datasets and their versions").add_subparsers(metavar="ACTION")
    listed = datasets.add_parser("list")
    listed.add_argument("project")
    listed.set_defaults(command=commands.datasets_list)
    upload = _job_making(datasets.add_parser("upload", help="upload a file as a new version (the dataset is "
                                                            "created if missing)"))
    upload.add_argument("project")
    upload.add_argument("dataset", help="the dataset's name")
    upload.add_argument("file")
    upload.add_argument("--task", help="check the data against this task")
    upload.add_argument("--encoding", default="utf-8")
    upload.add_argument("--delimiter", default=",")
    upload.set_defaults(command=commands.datasets_upload)
    sample = _job_making(datasets.add_parser("from-sample", help="a new version from a plugin's sample data"))
    sample.add_argument("project")
    sample.add_argument("dataset")
    sample.add_argument("sample", help="e.g. finance.news_headlines")
    sample.add_argument("--rows", type=int)
    sample.add_argument("--seed", type=int, default=0)
    sample.set_defaults(command=commands.datasets_from_sample)
    versions = datasets.add_parser("versions")
    versions.add_argument("project")
    versions.add_argument("dataset")
    versions.set_defaults(command=commands.datasets_versions)

    jobs = areas.add_parser("jobs", help="submit, list and follow jobs").add_subparsers(metavar="ACTION")
    submit = _job_making(jobs.add_parser("submit", help="submit a job, e.g. fine-tune"))
    submit.add_argument("project")
    submit.add_argument("kind", help="fine-tune, batch-inference or evaluate")
    submit.add_argument("--dataset-version", type=int, help="id of the dataset version (see `datasets versions`)")
    submit.add_argument("--task")
    submit.add_argument("--model", help="name of the model the result is registered as")
    submit.add_argument("--backbone")
    submit.add_argument("--parent-version", type=int, help="id of a model version to warm-start from")
    submit.add_argument("--processes", type=int)
    submit.add_argument("--set", type=key_value, action="append", metavar="KEY=VALUE", help="a hyperparameter")
    submit.add_argument("--model-version", type=int, help="batch inference, evaluate: id of the model version to run")
    submit.add_argument("--output-format", choices=["parquet", "csv", "jsonl"], help="batch inference output")
    submit.add_argument("--explain-top", type=int, help="batch inference: explain the k highest-scoring rows")
    submit.add_argument("--int8", action="store_true", help="batch inference: int8 on CPU workers")
    submit.add_argument("--idempotency-key", help="repeat a submission safely: the same key returns the same job")
    submit.set_defaults(command=commands.jobs_submit)
    predictions = jobs.add_parser("predictions", help="download a batch-inference job's predictions")
    predictions.add_argument("project")
    predictions.add_argument("job", type=int)
    predictions.add_argument("-o", "--output", help="the file to write")
    predictions.set_defaults(command=commands.jobs_predictions)
    listed = jobs.add_parser("list")
    listed.add_argument("project")
    listed.add_argument("--state")
    listed.add_argument("--kind")
    listed.set_defaults(command=commands.jobs_list)
    for action, command, help_text in [
        ("show", commands.jobs_show, "a job with its events"),
        ("cancel", commands.jobs_cancel, "cancel a job"),
        ("watch", commands.jobs_watch, "a progress bar until the job ends; exit 1 if it fails"),
    ]:
        one = jobs.add_parser(action, help=help_text)
        one.add_argument("project")
        one.add_argument("job", type=int)
        one.add_argument("--interval", type=float, default=2.0, help="seconds between checks")
        one.set_defaults(command=command)

    models = areas.add_parser("models", help="registered models").add_subparsers(metavar="ACTION")
    listed = models.add_parser("list")
    listed.add_argument("project")
    listed.set_defaults(command=commands.models_list)
    versions = models.add_parser("versions")
    versions.add_argument("project")
    versions.add_argument("model", help="the model's name")
    versions.set_defaults(command=commands.models_versions)
    download = models.add_parser("download", help="a version's files as a zip")
    download.add_argument("project")
    download.add_argument("model")
    download.add_argument("version", type=int)
    download.add_argument("-o", "--output", help="the zip file to write")
    download.set_defaults(command=commands.models_download)
    return parser


def _job_making(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--watch", action="store_true", help="follow the job until it ends")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between checks with --watch")
    return parser


if __name__ == "__main__":
    sys.exit(main())
