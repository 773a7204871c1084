"""Batch inference: the platform's runtime against transformers' `pipeline` and the limit.

One model over one length-skewed file of customer-service messages, three ways:
- `pipeline`: a transformers text-classification Pipeline around the same model, at its best
  batch size (it pads each batch to its longest text, in the file's order);
- the limit: the forward pass alone over pre-tokenised, length-sorted batches (no reading,
  tokenising or writing);
- Indus: `indus_workers.inference.run_inference` end to end, reading the file in chunks and
  writing the output file; in full precision, then (on the CPU) with int8 on.

The model is MiniLM fine-tuned by the platform, as a job would, on 1,200 of the retail plugin's
support messages (960 after its validation and test splits) for three epochs; the file holds
4,000 other messages of the same kind. Served data resembles what the model learnt from, and
int8 is judged on that: a model scoring text unlike its training data sits near its decision
boundaries, where any rounding flips decisions.
Each message gets a long-tailed number of sentences that fit any intent ("I have been a
customer for years."), so most are short and a few run to hundreds of words.

Then memory and linearity: the runtime over 250k and 1M short rows with a small model, each
size prepared in one process and run in another, so the peak memory is the runtime's own.

`--host-only` times the runtime's host side alone: the same job with the model's forward pass
replaced by a no-op that returns outputs of the same shape (so reading, tokenising, batching,
decoding and writing are all that is left), against the fast tokenizer's own batch calls on the
same texts, the host work no runtime can avoid. Each is run several times, alternating, and the
median taken.

    python -m bench.inference [--rows 4000] [--million] [--device cpu|cuda] [--host-only [--repeats 5]]

On `cuda` the model computes in bf16 (Indus and the limit under autocast; the pipeline is
timed with fp32 and with bf16 weights, and the faster is the baseline), and int8 is skipped.
"""
import argparse
import contextlib
import copy
import os
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

from bench import fine_tuning
from bench.report import print_table
from bench.support import SilentEvents, train_on_platform
from indus.plugins.contract import resolve_factory
from indus.plugins.manager import build_registry
from indus_workers.inference.cache import ModelCache
from indus_workers.inference.runner import run_inference
from indus_workers.inference.spec import InferenceSpec
from indus_workers.model import build_model, load_model, save_model

TASK, SAMPLE = "retail.support_intent", "retail.support_messages"
# The fine-tuning benchmark's settings, with room for the long tail and a larger training split.
TRAINING = {**fine_tuning.SETTINGS, "max_length": 256, "validation_fraction": 0.1}
# Sentences that fit any intent: how customers pad a message before they get to the point.
CONTEXT = (
    "I have been a customer for years.", "I ordered a few things from you last month as well.",
    "I usually have no problems with your shop.", "I tried calling but the line was busy.",
    "Sorry for the long message.", "My email address is the same as on the account.",
    "I checked the website and the app first.", "My account is under my partner's name.",
    "I live in a flat on the third floor.", "I normally shop in store.",
)
WORDS = ("order parcel refund delivery card payment address return damaged wrong item account "
         "please thanks hello urgent today week again still never arrived charged twice").split()


def skewed_messages(rows: int, seed: int) -> pa.Table:
    """The support-messages sample, each message after a long-tailed number of context sentences
    (none for half of them, up to 25)."""
    table = resolve_factory(build_registry().samples[SAMPLE].generator)(rows=rows, seed=seed)
    rng = np.random.default_rng(seed + 100)
    extra = np.clip(rng.lognormal(0.0, 1.2, size=rows).astype(int) - 1, 0, 25)
    messages = [" ".join([*rng.choice(CONTEXT, size=count), message]) for count, message in
                zip(extra, table.column("message").to_pylist())]
    return table.set_column(table.schema.get_field_index("message"), "message", pa.array(messages, pa.string()))


def skewed_texts(rows: int, seed: int = 5) -> list[str]:
    """Random shop words, a long-tailed count per text: input for the scaling runs, whose model
    is untrained and whose question is memory and time, not predictions."""
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


def trained_model(work: Path, device: torch.device):
    """MiniLM fine-tuned by the platform until its predictions are confident, as a served
    model's are."""
    train_on_platform(TASK, skewed_messages(1200, seed=1), work, epochs=3, **TRAINING)
    return load_model(work / "model").to(device).eval()


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


def pipeline_run(model, texts, batch_size, device):
    pipe = IndusTextPipeline(model=PipelineModel(model), tokenizer=model.featurizer.tokenizer, device=device)
    with torch.inference_mode():
        return timed(lambda: torch.stack(list(pipe(texts, batch_size=batch_size))))


def best_pipeline(model, texts, device):
    """(label, seconds, probabilities) of the fastest pipeline setting; on a GPU also with the
    weights in bf16, as a user there would try."""
    candidates = [("fp32", model)]
    if device.type == "cuda":
        candidates.append(("bf16 weights", copy.deepcopy(model).to(torch.bfloat16)))
    best = None
    for precision, candidate in candidates:
        for batch_size in (8, 32, 64) if device.type == "cpu" else (32, 64, 128, 256):
            probabilities, seconds = pipeline_run(candidate, texts, batch_size, device)
            if best is None or seconds < best[1]:
                best = (f"pipeline, {precision}, best batch size {batch_size}", seconds, probabilities.float())
    return best


def limit_run(model, texts, batch_size, device):
    encoded = [model.featurizer.tokenizer(t, truncation=True, max_length=256)["input_ids"] for t in texts]
    order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
    batches = []
    for start in range(0, len(order), batch_size):
        ids = [encoded[i] for i in order[start : start + batch_size]]
        longest = max(map(len, ids))
        input_ids = torch.tensor([row + [0] * (longest - len(row)) for row in ids])
        batches.append((input_ids.to(device), (input_ids != 0).long().to(device)))
    precision = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()

    def forward_all():
        outputs = [model(input_ids=i, attention_mask=m) for i, m in batches]
        if device.type == "cuda":
            torch.cuda.synchronize()
        return outputs

    with torch.inference_mode(), precision:
        if device.type == "cuda":
            forward_all()  # warm-up: CUDA start-up and kernel choice, paid once a worker
        _, seconds = timed(forward_all)
    return seconds


def indus_run(model_dir, input_path, work, batch_size, int8=False):
    spec = InferenceSpec(model_dir=str(model_dir), input_path=str(input_path), input_format="parquet",
                         output_dir=str(work), output_path=str(work / "out.parquet"), output_format="parquet",
                         id_column="ticket_id", batch_size=batch_size, int8=int8)
    result, seconds = timed(lambda: run_inference(spec, SilentEvents()))
    return result, seconds, pa_parquet.read_table(work / "out.parquet")


def host_only(rows: int, repeats: int) -> None:
    """The runtime with a no-op forward pass against the fast tokenizer's batch calls."""
    table = skewed_messages(rows, seed=2)
    texts = table.column("message").to_pylist()
    registry = build_registry()
    task = registry.tasks[TASK]
    backbone = registry.backbones["minilm"].factory
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        # Untrained (MiniLM's weights, a fresh head): with no forward pass, weights do not matter.
        model = build_model(task=task, backbone_factory=backbone, head_factory=registry.heads[task.head].factory,
                            train_table=skewed_messages(50, seed=1), backbone_options={"max_length": TRAINING["max_length"]})
        save_model(model, scratch / "model", backbone_factory=backbone)
        input_path = scratch / "input.parquet"
        pa_parquet.write_table(table.select(["ticket_id", "message"]), input_path)
        cache = ModelCache(device="cpu")
        cached = cache.get(str(scratch / "model"))
        outputs = len(cached.head.label_index)
        # The forward pass as a no-op: zeros of its output shape, (rows, labels).
        cached.forward = lambda labels=None, **batch: {"outputs": torch.zeros(len(batch["input_ids"]), outputs)}
        tokenizer = copy.deepcopy(cached.featurizer.tokenizer.backend_tokenizer)
        tokenizer.no_padding()
        tokenizer.enable_truncation(TRAINING["max_length"])
        calls = {"tokenizer encode_batch": lambda: tokenizer.encode_batch(texts),
                 "tokenizer encode_batch_fast (no offsets)": lambda: tokenizer.encode_batch_fast(texts)}
        seconds: dict[str, list[float]] = {name: [] for name in ["Indus, forward pass a no-op, end to end", *calls]}
        for attempt in range(repeats + 1):  # the first round warms up (file cache, thread pools) and is left out
            spec = InferenceSpec(model_dir=str(scratch / "model"), input_path=str(input_path), input_format="parquet",
                                 output_dir=str(scratch / f"run-{attempt}"), output_path=str(scratch / f"out-{attempt}.parquet"),
                                 output_format="parquet", id_column="ticket_id", batch_size=64)
            timings = [timed(lambda spec=spec: run_inference(spec, SilentEvents(), cache=cache))[1],
                       *(timed(call)[1] for call in calls.values())]
            if attempt:
                for name, value in zip(seconds, timings):
                    seconds[name].append(value)
    median = {name: float(np.median(values)) for name, values in seconds.items()}
    runtime = median["Indus, forward pass a no-op, end to end"]
    print_table(
        f"Host side only, {rows} length-skewed support messages, MiniLM's tokenizer (truncation at "
        f"{TRAINING['max_length']}), CPU, median of {repeats} runs",
        ["", "rows/s", "seconds", "Indus vs this"],
        [[name, rows / value, value, value / runtime] for name, value in median.items()],
    )
    print(f"Host-only rate vs the fast tokenizer's batch rate: {median['tokenizer encode_batch'] / runtime:.2f}x "
          f"(against encode_batch_fast: {median['tokenizer encode_batch_fast (no offsets)'] / runtime:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--million", action="store_true", help="also run 250k and 1M rows for memory and linearity")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--host-only", action="store_true", help="only the host side: the forward pass a no-op")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each in --host-only, the median reported")
    args = parser.parse_args()
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # the runtime takes a GPU when it sees one
    if args.host_only:
        host_only(args.rows, args.repeats)
        return
    device = torch.device(args.device)
    # Both Indus and the limit: on a GPU, batches of 64 short texts leave it waiting on kernel launches.
    batch_size = 64 if device.type == "cpu" else 256
    table = skewed_messages(args.rows, seed=2)
    texts = table.column("message").to_pylist()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        model = trained_model(scratch / "trained", device)
        model_dir = scratch / "trained" / "model"
        input_path = scratch / "input.parquet"
        pa_parquet.write_table(table.select(["ticket_id", "message"]), input_path)

        pipeline_name, pipeline_seconds, pipeline_probabilities = best_pipeline(model, texts, device)
        limit_seconds = limit_run(model, texts, batch_size, device)
        if device.type == "cuda":
            indus_run(model_dir, input_path, scratch / "warm-up", batch_size)  # CUDA start-up and kernel choice, once a worker
        result, indus_seconds, output = indus_run(model_dir, input_path, scratch / "full", batch_size)
        timings = [
            [pipeline_name, len(texts) / pipeline_seconds, pipeline_seconds, 1.0, "-"],
            ["forward only, sorted batches (the limit)", len(texts) / limit_seconds, limit_seconds, pipeline_seconds / limit_seconds, "-"],
            [f"Indus, {'full precision' if device.type == 'cpu' else 'bf16 autocast'}, end to end", len(texts) / indus_seconds,
             indus_seconds, pipeline_seconds / indus_seconds, result["padding_share"]],
        ]
        if device.type == "cpu":
            int8_result, int8_seconds, int8_output = indus_run(model_dir, input_path, scratch / "int8", batch_size, int8=True)
            timings.append(["Indus, int8, end to end", len(texts) / int8_seconds, int8_seconds, pipeline_seconds / int8_seconds,
                            int8_result["padding_share"]])

        labels = list(model.head.label_index.names)
        ours = np.stack([output.column(f"p_{label}").to_numpy() for label in labels], axis=1)
        difference = float(np.abs(ours - pipeline_probabilities.numpy()).max())
        same_labels = float(np.mean(ours.argmax(1) == pipeline_probabilities.numpy().argmax(1)))
        words = [len(text.split()) for text in texts]
        print_table(
            f"Batch inference, {len(texts)} length-skewed support messages (median {int(np.median(words))} words, "
            f"max {max(words)}), MiniLM + classification head, {torch.cuda.get_device_name() if device.type == 'cuda' else 'CPU'}",
            ["", "rows/s", "seconds", "vs pipeline", "padding"], timings,
        )
        print(f"Indus vs the limit: {limit_seconds / indus_seconds:.2f}x; against the pipeline: largest probability "
              f"difference {difference:.2e}, same label on {100 * same_labels:.2f}% of rows")
        if device.type == "cpu":
            int8_same = float(np.mean(np.array(int8_output.column("label").to_pylist()) == np.array(output.column("label").to_pylist())))
            print(f"int8 predictions unchanged: {100 * int8_same:.2f}% (agreement check on its sample: {int8_result['int8']})")
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
