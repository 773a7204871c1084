"""The model card of a fine-tuned version: what it is for, what it saw, how well it did."""
from indus.plugins.contract import Task


def _table(rows: list[tuple[str, str]]) -> str:
    return "\n".join(["| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)])


def _format(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def baseline_section(baselines: dict, verdict: dict) -> list[str]:
    """The verdict, then each baseline's score on the verdict's metric, beside the model's."""
    metric = verdict.get("metric")
    lines = ["## Against the baselines", f"**Verdict: {verdict['title']}**"
             + (f" (on {metric}, {verdict['better']} is better)." if metric else ".")]
    if verdict.get("verdict") == "not_better_than_trivial":
        lines.append("This version is no better than a prediction that ignores its inputs: do not deploy it.")
    if metric:
        rows = [("this model", _format(verdict["model"]))]
        rows += [(f"{b['name']} ({b['family']})", _format(b["metrics"].get(metric))) for b in baselines["candidates"]]
        lines += ["", _table(rows)]
    if baselines.get("sampled"):
        lines.append(f"The classical baselines were fitted on a sample of {baselines['fitted_on_rows']} of the "
                     f"{baselines['training_rows']} training rows.")
    if baselines.get("skipped"):
        lines.append(f"No classical baseline: {baselines['skipped']}.")
    return [*lines, ""]


def model_card(*, task: Task, spec, splits, metrics: dict, history: list[dict], baselines: dict | None = None,
               verdict: dict | None = None) -> str:
    target = task.target
    hp = spec.hyperparameters
    labels = ", ".join(target.labels) or "from the data"
    sizes = splits.sizes()
    lines = [
        f"# {task.title} ({task.name})",
        "",
        task.description,
        "",
        "## Model",
        _table([
            ("backbone", spec.backbone.name),
            ("head", spec.head.name),
            ("target", f"{target.kind} `{target.column}` ({labels})"),
            ("warm start", "yes, from a parent version" if spec.parent_model_dir else "no: pretrained backbone + new head"),
            ("hyperparameters", ", ".join(f"{k}={v}" for k, v in vars(hp).items())),
        ]),
        "",
        "## Data",
        f"Seeded split (seed {hp.seed}): {sizes['train']} rows for training, {sizes['validation']} for "
        f"validation (early stopping, best checkpoint) and {sizes['test']} held out for the test below.",
        "",
        "## Test metrics",
        _table([(name.removeprefix("test_"), _format(value)) for name, value in sorted(metrics.items())]),
        "",
        f"Evaluated {len(history)} times during training.",
        "",
        *(baseline_section(baselines, verdict) if baselines and verdict else []),
        "## Intended use",
        f"Predicting `{target.column}` for data shaped like the training set: the columns "
        f"{', '.join(c.name for c in task.inputs)}. Predictions support people's decisions; they do not replace them.",
        "",
        "## Limits",
        "- Quality holds only for data like the training data: watch the drift report of batch inference and retrain "
        "when inputs shift.",
        "- The metrics come from one held-out split; small classes have wide uncertainty.",
        "- The training data may carry historical bias; check errors per group before deploying in regulated settings.",
        "",
    ]
    return "\n".join(lines)
