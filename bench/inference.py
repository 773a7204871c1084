"""Batch inference: the platform's runtime against transformers' `pipeline` and the limit.

One model (MiniLM with a classification head, fine-tuned for three epochs on the retail
plugin's support messages, so that it is confident as a served model is) over one
length-skewed text file, three ways:
- `pipeline`: a transformers text-classification Pipeline around the same model, at its best
  batch size (it pads each batch to its longest text, in the file's order);
- the limit: the forward pass alone over pre-tokenised, length-sorted batches (no reading,
  tokenising or writing);
- Indus: `indus_workers.inference.run_inference` end to end, reading the file in chunks and
  writing the output file; in full precision, then with int8 on.
Then memory and linearity: the runtime over 250k and 1M short rows with a small model, each
size prepared in one process and run in another, so the peak memory is the runtime's own.

    python -m bench.inference [--rows 4000] [--million]
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pa_parquet
import torch
from transformers import Pipeline

from bench.report import print_table
from bench.support import SilentEvents
from indus.plugins.manager import build_registry
from indus_workers.inference.runner import run_inference
from indus_workers.inference.spec import InferenceSpec
from indus_workers.model import build_model, load_model, save_model

TASK = "retail.support_intent"
WORDS = ("order parcel refund delivery card payment address return damaged wrong item account "
         "please thanks hello urgent today week again still never arrived charged twice").split()


def skewed_texts(rows: int, seed: int = 5) -> list[str]:
    """Word counts from a long-tailed distribution: most texts short, a few very long."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(mean=2.6, sigma=0.8, size=rows).astype(int), 2, 250)
    return [" ".join(rng.choice(WORDS, size=n)) for n in lengths]


class IndusTextPipeline(Pipeline):
    """What a user would write to put this model behind `pipeline`: tokenise one text, run the
    model on the padded batch the pipeline builds, softmax."""

    def _sanitize_parameters(self, **kwargs):
        return {}, {}, {}

    def preprocess(self, text):
        return self.tokenizer(text, truncation=True, max_length=256, return_tensors="pt")

    def _forward(self, inputs):
        return {"outputs": self.model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])["outputs"]}

    def postprocess(self, outputs):
        return outputs["outputs"].float().softmax(-1)[0]


def trained_model(folder: Path, *, rows: int = 1200, epochs: int = 3):
    """MiniLM fine-tuned until its predictions are confident, as a served model is: int8 is
    judged on such a model, not on a barely trained one whose predictions sit on the boundary."""
    registry = build_registry()
    task = registry.tasks[TASK]
    from indus.plugins.inspection import resolve_factory

    table = resolve_factory(registry.samples["retail.support_messages"].generator)(rows=rows, seed=1)
    model = build_model(task=task.as_dict(), backbone_factory=registry.backbones["minilm"].factory,
                        head_factory=registry.heads[task.head].factory, train_table=table)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    examples = model.featurize(table)
    order = np.random.default_rng(0)
    model.train()
    for _ in range(epochs):
        shuffled = [examples[i] for i in order.permutation(len(examples))]
        for start in range(0, len(shuffled), 32):
            loss = model(**model.collate(shuffled[start : start + 32]))["loss"]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    save_model(model, folder, backbone_factory=registry.backbones["minilm"].factory)
    return load_model(folder)


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


class PipelineModel(torch.nn.Module):
    """The few attributes a Pipeline reads of a Hugging Face model, around the same model."""

    def __init__(self, model):
        super().__init__()
        self.inner = model
        self.config = model.encoder.transformer.config

    @property
    def device(self):
        return next(self.inner.parameters()).device

    def can_generate(self) -> bool:
        return False

    def forward(self, **batch):
        return self.inner(**batch)


def pipeline_run(model, texts, batch_size):
    pipe = IndusTextPipeline(model=PipelineModel(model), tokenizer=model.featurizer.tokenizer, device="cpu")
    with torch.inference_mode():
        return timed(lambda: torch.stack(list(pipe(texts, batch_size=batch_size))))


def limit_run(model, texts, batch_size):
    encoded = [model.featurizer.tokenizer(t, truncation=True, max_length=256)["input_ids"] for t in texts]
    order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
    batches = []
    for start in range(0, len(order), batch_size):
        ids = [encoded[i] for i in order[start : start + batch_size]]
        longest = max(map(len, ids))
        input_ids = torch.tensor([row + [0] * (longest - len(row)) for row in ids])
        batches.append((input_ids, (input_ids != 0).long()))
    with torch.inference_mode():
        _, seconds = timed(lambda: [model(input_ids=i, attention_mask=m) for i, m in batches])
    return seconds


def indus_run(model_dir, input_path, work, batch_size, int8=False):
    spec = InferenceSpec(model_dir=str(model_dir), input_path=str(input_path), input_format="parquet",
                         output_dir=str(work), output_path=str(work / "out.parquet"), output_format="parquet",
                         id_column="ticket_id", batch_size=batch_size, int8=int8)
    result, seconds = timed(lambda: run_inference(spec, SilentEvents()))
    return result, seconds, pa_parquet.read_table(work / "out.parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--million", action="store_true", help="also run 250k and 1M rows for memory and linearity")
    args = parser.parse_args()
    texts = skewed_texts(args.rows)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        model = trained_model(scratch / "model").eval()
        input_path = scratch / "input.parquet"
        pa_parquet.write_table(pa.table({"ticket_id": np.arange(len(texts)), "message": texts}), input_path)

        best = None
        for batch_size in (8, 32, 64):
            probabilities, seconds = pipeline_run(model, texts, batch_size)
            if best is None or seconds < best[1]:
                best = (batch_size, seconds, probabilities)
        pipeline_batch, pipeline_seconds, pipeline_probabilities = best
        limit_seconds = limit_run(model, texts, 64)
        result, indus_seconds, output = indus_run(scratch / "model", input_path, scratch / "fp32", 64)
        int8_result, int8_seconds, int8_output = indus_run(scratch / "model", input_path, scratch / "int8", 64, int8=True)

        labels = list(model.head.label_index.names)
        ours = np.stack([output.column(f"p_{label}").to_numpy() for label in labels], axis=1)
        difference = float(np.abs(ours - pipeline_probabilities.numpy()).max())
        int8_same = float(np.mean(np.array(int8_output.column("label").to_pylist()) == np.array(output.column("label").to_pylist())))
        rows = len(texts)
        print_table(
            f"Batch inference, {rows} length-skewed texts (median {int(np.median([len(t.split()) for t in texts]))} words, "
            f"max {max(len(t.split()) for t in texts)}), MiniLM + classification head, CPU",
            ["", "rows/s", "seconds", "vs pipeline", "padding"],
            [
                [f"pipeline (best batch size {pipeline_batch})", rows / pipeline_seconds, pipeline_seconds, 1.0, "-"],
                ["forward only, sorted batches (the limit)", rows / limit_seconds, limit_seconds, pipeline_seconds / limit_seconds, "-"],
                ["Indus, full precision, end to end", rows / indus_seconds, indus_seconds, pipeline_seconds / indus_seconds, result["padding_share"]],
                ["Indus, int8, end to end", rows / int8_seconds, int8_seconds, pipeline_seconds / int8_seconds, int8_result["padding_share"]],
            ],
        )
        print(f"Indus vs the limit: {limit_seconds / indus_seconds:.2f}x; largest probability difference vs pipeline: "
              f"{difference:.2e}; int8 predictions unchanged: {100 * int8_same:.2f}% "
              f"(agreement check on its sample: {int8_result['int8']})")
    if args.million:
        scale(scratch_rows=(250_000, 1_000_000))


def scale(scratch_rows) -> None:
    """Peak memory and time of the runtime as rows grow, each size in a fresh process."""
    figures = []
    for rows in scratch_rows:
        with tempfile.TemporaryDirectory() as scratch:
            for step in ("prepare", "run"):
                done = subprocess.run([sys.executable, "-m", "bench.inference_scale", step, scratch, str(rows)],
                                      capture_output=True, text=True, check=True)
        seconds, peak_mib = map(float, done.stdout.split())
        figures.append([rows, seconds, rows / seconds, peak_mib])
    print_table("Scaling (small BERT, short texts), each run in its own process", ["rows", "seconds", "rows/s", "peak RSS MiB"], figures)


if __name__ == "__main__":
    main()
