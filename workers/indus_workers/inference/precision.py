"""Which model a job computes with: full precision, or int8 once it has proved itself on a sample."""
from contextlib import closing

from indus_workers.devices import DevicePlan
from indus_workers.events import RunEvents
from indus_workers.inference.cache import ModelCache
from indus_workers.inference.predictor import BatchPredictor
from indus_workers.inference.quantization import AGREEMENT_THRESHOLD, SAMPLE_ROWS, agreement
from indus_workers.inference.source import InputSource
from indus_workers.model import IndusModel


def sample_examples(source: InputSource, model: IndusModel, rows: int = SAMPLE_ROWS) -> list[dict]:
    """Examples of the first `rows` good input rows."""
    examples: list[dict] = []
    with closing(source.chunks(chunk_rows=rows, part_rows=rows)) as chunks:
        for chunk in chunks:
            good = chunk.good_positions()[: rows - len(examples)]
            if good:
                examples.extend(model.featurize(chunk.table.take(good), inference=True))
            if len(examples) >= rows:
                break
    return examples


def choose_model(
    model_dir: str, *, int8: bool, cache: ModelCache, plan: DevicePlan, source: InputSource, batch_size: int, events: RunEvents
) -> tuple[IndusModel, dict | None]:
    """The model to compute with, and the int8 report for the result (None when not asked)."""
    full = cache.get(model_dir)
    if not int8:
        return full, None
    if plan.device.type != "cpu":
        events.log(f"int8 is for CPU inference; this worker computes on {plan.device.type} in {plan.dtype}")
        return full, {"used": False, "reason": f"int8 is CPU-only; computed on {plan.device.type}", "agreement": None, "sample_rows": 0}
    quantized = cache.get(model_dir, int8=True)
    sample = sample_examples(source, full)
    never_stop = lambda: False  # noqa: E731 - the sample is short; cancelling waits for the main pass
    reference = BatchPredictor(full, plan, batch_size=batch_size, should_stop=never_stop).predict(sample)
    candidate = BatchPredictor(quantized, plan, batch_size=batch_size, should_stop=never_stop).predict(sample)
    share = agreement(reference, candidate)
    used = share >= AGREEMENT_THRESHOLD
    events.log(
        f"int8 agrees with full precision on {share:.1%} of {len(sample)} sample rows; "
        + ("computing in int8" if used else f"below {AGREEMENT_THRESHOLD:.0%}, computing in full precision instead")
    )
    return (quantized if used else full), {
        "used": used, "agreement": share, "sample_rows": len(sample), "threshold": AGREEMENT_THRESHOLD,
    }
