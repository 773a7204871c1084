"""A model version that is no better than the majority class, trained for real by the worker
runtime (every input row looks the same, so no model can tell rows apart) and registered as a
fine-tune job registers its outcome."""
import functools
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from indus.registry.services import model_version_create, registered_model_get_or_create


@functools.cache
def constant_input_outcome() -> dict:
    from indus_workers.training.trainer import train
    from tests.workers.builders import CLASSIFICATION_HEAD, TABULAR_BACKBONE, make_task
    from tests.workers.test_training import RecordedEvents, spec_for

    labels = np.random.default_rng(5).choice(["paid", "defaulted"], size=200, p=[0.8, 0.2]).tolist()
    table = pa.table({"x": np.zeros(200), "target": labels})
    task = replace(make_task("classes", labels=("paid", "defaulted")), metrics=("accuracy", "macro_f1"))
    with tempfile.TemporaryDirectory() as folder:
        spec = spec_for(Path(folder), task, table, head=CLASSIFICATION_HEAD, backbone=TABULAR_BACKBONE, epochs=1)
        return train(spec, RecordedEvents())


def register_flagged_version(project, *, name: str = "scores"):
    outcome = constant_input_outcome()
    assert outcome["reports"]["verdict"]["verdict"] == "not_better_than_trivial"
    model = registered_model_get_or_create(project=project, name=name, task="test.classes")
    return model_version_create(
        model=model, artifact_path=f"models/{project.slug}/{name}/flagged", metrics=outcome["metrics"],
        reports=outcome["reports"], model_card=outcome["model_card"],
    )
