"""`indus`: the command line. Exit codes: 0 done; 1 the job followed failed or was cancelled;
2 bad usage or no configuration; 3 the API refused the request; 4 the server could not be
reached or failed."""
import argparse
import getpass
import sys

from indus.cli import commands, submissions
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
    upload = submissions.job_making(datasets.add_parser("upload", help="upload a file as a new version (the dataset is "
                                                            "created if missing)"))
    upload.add_argument("project")
    upload.add_argument("dataset", help="the dataset's name")
    upload.add_argument("file")
    upload.add_argument("--task", help="check the data against this task")
    upload.add_argument("--encoding", default="utf-8")
    upload.add_argument("--delimiter", default=",")
    upload.set_defaults(command=commands.datasets_upload)
    sample = submissions.job_making(datasets.add_parser("from-sample", help="a new version from a plugin's sample data"))
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
    submit = jobs.add_parser(
        "submit", help="submit a job, e.g. fine-tune",
        description="Submit a job of a kind the server offers. Its flags are the kind's inputs, read from the "
                    "server's API schema: `indus jobs submit PROJECT KIND --help` lists them with their help.")
    submit.add_argument("project")
    submit.add_argument("kind", help="e.g. fine-tune, batch-inference or evaluate: the server's kinds")
    submit.add_argument("inputs", nargs=argparse.REMAINDER, metavar="--INPUT VALUE",
                        help="the kind's inputs, --watch, --interval and --idempotency-key")
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
    alias = models.add_parser("alias", help="point an alias (production, staging...) at a version")
    alias.add_argument("project")
    alias.add_argument("model")
    alias.add_argument("alias", help="e.g. production")
    alias.add_argument("version", type=int)
    alias.add_argument("--force", action="store_true",
                       help="even a version that does not beat the trivial baseline (the audit log records it)")
    alias.set_defaults(command=commands.models_alias)
    download = models.add_parser("download", help="a version's files as a zip")
    download.add_argument("project")
    download.add_argument("model")
    download.add_argument("version", type=int)
    download.add_argument("-o", "--output", help="the zip file to write")
    download.set_defaults(command=commands.models_download)

    tasks = areas.add_parser(
        "tasks", help="the tasks the loaded plugins provide, and bindings of templates to your own columns",
    ).add_subparsers(metavar="ACTION")
    for action, command, help_text in (
        ("infer", commands.tasks_infer, "propose a binding of a dataset version's columns (nothing is saved)"),
        ("create", commands.tasks_create, "bind a template to a dataset version's columns"),
    ):
        binding = tasks.add_parser(action, help=help_text)
        binding.add_argument("project")
        binding.add_argument("--dataset-version", type=int, required=True, help="the dataset version's id")
        binding.add_argument("--target", required=True, help="the column to predict: enough on its own")
        binding.add_argument("--template", help="e.g. indus.tabular_classification; inferred when not given")
        binding.add_argument("--input", action="append", metavar="COLUMN[:TYPE]",
                             help="an input column, optionally with its type (repeat it); inferred when not given")
        binding.add_argument("--id-column")
        binding.add_argument("--labels", help="the target's labels, comma-separated; in order for ordinal levels")
        binding.add_argument("--positive-label", help="a binary target's positive label")
        binding.add_argument("--group-column", help="a ranking's user or query column, a forecast's series")
        binding.add_argument("--time-column", help="the column of dates that orders a forecast's series")
        binding.set_defaults(command=command)
    listed = tasks.add_parser("list", help="the project's task bindings")
    listed.add_argument("project")
    listed.set_defaults(command=commands.tasks_list)
    shown = tasks.add_parser("show", help="a task binding and the task it makes")
    shown.add_argument("project")
    shown.add_argument("binding", type=int, help="the binding's id")
    shown.set_defaults(command=commands.tasks_show)
    task_defaults = tasks.add_parser("defaults", help="a task's hyperparameter defaults on a backbone")
    task_defaults.add_argument("task", help="e.g. finance.credit_scoring")
    task_defaults.add_argument("--backbone", help="defaults to the task's own backbone")
    task_defaults.set_defaults(command=commands.tasks_defaults)
    return parser


if __name__ == "__main__":
    sys.exit(main())
