"""Kinds that exist only for tests: the job machinery's (a gated runner, a success and a
failure that clean up), and `test.toy`, a submittable kind whose API, OpenAPI entry, admin form
and CLI flags come from this declaration alone."""
from indus.datasets.kind import DATASET_VERSION
from indus.plugins.job_kind import InputField, JobKind

RUNNERS = "tests.support.runners"
CLEANUP = f"{RUNNERS}.cleanup_marker"

TOY = JobKind(
    name="test.toy",
    title="toy count",
    queue="cpu",
    runner=f"{RUNNERS}.succeeding_runner",
    submit="tests.toy_kinds.services.toy_submit",
    inputs=(
        InputField("dataset_version", int, references=DATASET_VERSION, link_label="Dataset version counted",
                   help="the dataset version whose rows are counted"),
        InputField("rows", int, default=10, minimum=1, maximum=1000, help="how many rows to count"),
        InputField("mode", str, default="fast", choices=(("fast", "skip the checks"), ("careful", "check each row")),
                   help="how to count"),
        InputField("note", str, default=None, flags=("--memo",), help="a note kept with the job"),
        InputField("dry_run", bool, default=False, help="count nothing, only say what would be counted"),
    ),
)

KINDS = [
    # Blocks until the test opens its gate: lets a test kill a worker mid-job deterministically.
    JobKind(name="test.gated", queue="cpu", runner=f"{RUNNERS}.gated_runner"),
    JobKind(name="test.succeeds", queue="cpu", runner=f"{RUNNERS}.succeeding_runner", after_success=CLEANUP),
    JobKind(name="test.fails", queue="cpu", runner=f"{RUNNERS}.failing_runner", after_success=CLEANUP),
    # Split into parts as batch inference is (indus.jobs.parts), with no model to load.
    JobKind(name="test.parted", queue="cpu", runner=f"{RUNNERS}.parted_runner", part_runner=f"{RUNNERS}.part_sum"),
    TOY,
]
