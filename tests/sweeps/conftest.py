import pytest

from indus.plugins.contract import resolve_factory
from indus.plugins.manager import get_registry

# The fastest fine-tuning there is: a small table, the from-scratch tabular encoder, one epoch.
TASK = "transport.arrival_delay"
QUICK = {"epochs": 1, "batch_size": 64}


@pytest.fixture
def arrivals(stored_version):
    """A version of the transport plugin's stop arrivals (a tabular regression: mae, rmse)."""

    def make(rows: int = 300, seed: int = 0):
        sample = get_registry().samples_for_task(TASK)[0]
        return stored_version(resolve_factory(sample.generator)(rows=rows, seed=seed))

    return make
