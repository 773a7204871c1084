"""A fraud model of the finance plugin (the tabular MLP) trained in the test process in seconds,
stored and registered as a fine-tune job would: for tests of what workers do with a model
rather than of training it."""
from pathlib import Path

import pyarrow.parquet as pa_parquet

from bench.support import train_on_platform
from indus.core.storage import artifact_storage, store_folder
from indus.datasets.models import DatasetVersion
from indus.plugins.contract import resolve_factory
from indus.plugins.manager import get_registry
from indus.registry.models import ModelVersion
from indus.registry.services import model_version_create, registered_model_get_or_create

TASK, SAMPLE = "finance.fraud_detection", "finance.card_transactions"


def card_transactions(rows: int, seed: int):
    """The finance plugin's sample card transactions, as its sample job generates them."""
    return resolve_factory(get_registry().samples[SAMPLE].generator)(rows=rows, seed=seed)


def fraud_model_version(project, training: DatasetVersion, work: Path) -> ModelVersion:
    table = pa_parquet.read_table(artifact_storage().path(training.data_path))
    from tests.workers.test_training import FAST

    train_on_platform(TASK, table, work, backbone="tabular_mlp",
                      **{**FAST, "epochs": 1, "batch_size": 64, "learning_rate": 1e-3, "class_weighting": True})
    artifact_path = store_folder(work / "model", f"models/{project.slug}/fraud/in-test")
    model = registered_model_get_or_create(project=project, name="fraud", task=TASK)
    return model_version_create(model=model, artifact_path=artifact_path, dataset_version=training, metrics={})
