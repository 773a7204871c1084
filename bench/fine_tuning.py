"""Fine-tuning: the platform's runtime against the plain loop a user would write.

The plain loop is the seed document's recipe: every text padded to max_length=128, fp32,
batches in random order, MiniLM with mean pooling and a linear head, AdamW. The platform
trains the same backbone and head on the same rows, for the same epochs, with the same seed
and learning rate, through `indus_workers.training.train`: length-grouped batches padded to
their own longest text. Both are timed over their training loop alone; both are scored on
the same validation rows.

    python -m bench.fine_tuning [--rows 1600] [--epochs 2]
"""
import argparse
import tempfile
import time
from pathlib import Path

import torch
from transformers import AutoModel, AutoTokenizer

from bench.report import print_table
from bench.support import train_on_platform
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1600)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
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
