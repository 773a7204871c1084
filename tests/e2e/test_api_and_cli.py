"""A team's script: sample data, fine-tune and predict through the REST API and the `indus`
command, with a live server and a real worker, and download the predictions."""
import io
import json
import re
import time
import urllib.request

import pyarrow.csv as pa_csv
import pytest

from tests.cli.conftest import cli_env, indus  # noqa: F401  (fixtures, shared)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Api:
    def __init__(self, env):
        self.base = env["INDUS_URL"] + "/api/v1/projects/credit/"
        self.token = env["INDUS_TOKEN"]

    def call(self, method: str, path: str, body: dict | None = None) -> bytes:
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()

    def json(self, method: str, path: str, body: dict | None = None) -> dict:
        return json.loads(self.call(method, path, body))

    def finished_job(self, job: dict, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        while job["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, f"job {job['id']} did not finish"
            time.sleep(1)
            job = self.json("GET", f"jobs/{job['id']}/")
        assert job["state"] == "succeeded", job["error"]
        return job


def test_fine_tune_and_predict_through_the_api_and_the_cli(worker, cli_env, indus, tmp_path):  # noqa: F811
    api = Api(cli_env)
    dataset = api.json("POST", "datasets/", {"name": "headlines"})
    sample = api.finished_job(api.json("POST", f"datasets/{dataset['id']}/from-sample/",
                                       {"sample": "finance.news_headlines", "rows": 600, "seed": 1}))
    version = sample["result"]["dataset_version_id"]

    through_api = api.finished_job(api.json("POST", "jobs/", {
        "kind": "fine_tune", "dataset_version": version, "task": "finance.news_sentiment", "model_name": "news",
        "hyperparameters": {"epochs": 1, "learning_rate": 2e-4, "max_length": 64},
    }))
    assert through_api["result"]["metrics"]["test_accuracy"] > 0

    code, out, err = indus("jobs", "submit", "credit", "fine-tune", "--dataset-version", version,
                           "--task", "finance.news_sentiment", "--model", "news", "--set", "epochs=1",
                           "--set", "learning_rate=0.0002", "--set", "max_length=64", "--watch", "--interval", "1")
    assert code == 0, err
    model_version = json.loads(re.search(r"result: (.*)", out).group(1))["model_version_id"]

    code, out, err = indus("jobs", "submit", "credit", "batch-inference", "--model-version", model_version,
                           "--dataset-version", version, "--output-format", "csv", "--watch", "--interval", "1")
    assert code == 0, err
    job_id = int(re.search(r"batch_inference job (\d+)", out).group(1))

    destination = tmp_path / "predictions.csv"
    code, out, err = indus("jobs", "predictions", "credit", job_id, "-o", destination)
    assert code == 0, err
    predictions = pa_csv.read_csv(destination)
    assert predictions.num_rows == 600 and len(set(predictions.column("headline_id").to_pylist())) == 600
    assert set(predictions.column("label").to_pylist()) <= {"negative", "neutral", "positive"}
    assert pa_csv.read_csv(io.BytesIO(api.call("GET", f"jobs/{job_id}/predictions/"))).equals(predictions)
