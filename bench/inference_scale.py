"""One batch-inference run over N short rows with a small BERT; prints seconds and peak RSS.

`prepare DIR N` writes the model and the input file; `run DIR N`, in a fresh process, runs the
job on them as a worker would. `bench.inference --million` calls both per size, so each peak
is the runtime's own and not the memory that building the input took.
"""
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pa_parquet

from bench.inference import skewed_texts
from bench.support import SilentEvents
from indus.plugins.manager import build_registry
from indus_workers.inference.runner import run_inference
from indus_workers.inference.spec import InferenceSpec
from indus_workers.model import build_model, save_model

SMALL_BERT = {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 256}
CHUNK = 100_000


def prepare(folder: Path, rows: int) -> None:
    registry = build_registry()
    task = registry.tasks["retail.support_intent"]
    backbone = registry.backbones["minilm"].factory
    sample = skewed_texts(CHUNK)
    labels = list(task.target.labels)
    train = pa.table({"message": sample[:200], "intent": [labels[i % len(labels)] for i in range(200)]})
    model = build_model(task=task, backbone_factory=backbone, head_factory=registry.heads[task.head].factory,
                        train_table=train, backbone_options={"config": SMALL_BERT, "max_length": 64})
    save_model(model, folder / "model", backbone_factory=backbone)
    schema = pa.schema([("ticket_id", pa.int64()), ("message", pa.string())])
    with pa_parquet.ParquetWriter(folder / "input.parquet", schema) as writer:
        for start in range(0, rows, CHUNK):
            count = min(CHUNK, rows - start)
            writer.write_table(pa.table({"ticket_id": np.arange(start, start + count), "message": sample[:count]}, schema=schema))


def run(folder: Path, rows: int) -> None:
    spec = InferenceSpec(model_dir=str(folder / "model"), input_path=str(folder / "input.parquet"), input_format="parquet",
                         output_dir=str(folder / "work"), output_path=str(folder / "out.parquet"),
                         output_format="parquet", id_column="ticket_id", batch_size=256)
    started = time.perf_counter()
    result = run_inference(spec, SilentEvents())
    seconds = time.perf_counter() - started
    assert result["rows"] == rows
    print(seconds, peak_rss_mib())


def peak_rss_mib() -> float:
    """This process's own peak resident memory. Not getrusage's ru_maxrss: Linux carries that
    over from the parent through fork and exec, so a child of a big process reports the
    parent's peak."""
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


if __name__ == "__main__":
    step, folder, rows = sys.argv[1:]
    {"prepare": prepare, "run": run}[step](Path(folder), int(rows))
