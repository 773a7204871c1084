"""Online serving: dynamic batching against one forward per request, over loopback.

Two models fine-tuned by the platform's runtime, as a job would: MiniLM on the retail plugin's
support messages (text; requests are other messages of the sample, median 16 words, as a chat
or ticket system sends them one at a time) and the tabular MLP on the finance plugin's card
transactions. Each is
registered in a throwaway platform (its own SQLite database and artifact folder) under the
`production` alias, and served by `manage.py serve`, the real serving process, over loopback.

- text: 32 concurrent clients (connections on one event loop), each sending single-row
  requests on its own kept-alive connection, against the same server with dynamic batching (the settings' batch size and
  wait) and with `--max-batch-rows 1` (one forward per request, what a plain model server
  does), each in full precision and in bf16 (`--cpu-precision bfloat16`, where the CPU
  multiplies bf16 natively), and one forward per request on one compute thread. Throughput and
  p50 / p99 latency of each, and the ratios, also against the fastest of the runs with one
  forward per request, whatever its precision and threads;
- tabular: one client, one row at a time, its end-to-end latency (p50, p99).

    python -m bench.serving [--seconds 20] [--clients 32]
"""
import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from http.client import HTTPConnection
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


BATCHED, SINGLE = "dynamic batching", "one forward per request"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Platform:
    """A throwaway platform: migrated database, a user with a token, a project, and models."""

    def __init__(self, var_dir: Path):
        self.env = {**{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")},
                    "INDUS_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "indus.settings", "CUDA_VISIBLE_DEVICES": ""}
        os.environ.update(self.env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from django.contrib.auth import get_user_model

        from indus.tenancy.services import api_token_create, project_create

        user = get_user_model().objects.create_user(username="bench", password="not-used-by-tokens")
        self.project = project_create(slug="bench", name="Benchmark", owner=user)
        self.token = api_token_create(user=user, name="bench")[1]

    def register(self, name: str, folder: Path, task: str) -> None:
        from indus.core.storage import store_folder
        from indus.registry.services import model_alias_set, model_version_create, registered_model_get_or_create

        model = registered_model_get_or_create(project=self.project, name=name, task=task)
        version = model_version_create(model=model, artifact_path=store_folder(folder, f"models/bench/{name}"))
        model_alias_set(version=version, name="production", force=True)


class Server:
    def __init__(self, platform: Platform, log: Path, *options: str, env: dict[str, str] | None = None):
        self.port = free_port()
        self.log = log.open("ab")
        self.process = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(self.port), *options],
                                        cwd=REPO, env={**platform.env, **(env or {})}, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                connection = HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/v2/health/ready")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the serving process did not start; see {log}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


async def _client(port: int, request_of, measured: list[float], failures: list[int], *, measure_from: float, measure_to: float):
    """One kept-alive connection sending its requests back to back (HTTP/1.1, a Content-Length
    body each way), keeping the latencies of those sent in the measured window."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    try:
        while (now := time.monotonic()) < measure_to:
            before = time.perf_counter()
            writer.write(request_of(sent))
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            elapsed = time.perf_counter() - before
            sent += 1
            if now >= measure_from:
                if status == 200:
                    measured.append(elapsed)
                else:
                    failures.append(status)
    finally:
        writer.close()


def load(port: int, token: str, path: str, rows: list[dict], *, clients: int, seconds: float, warm_up: float = 3.0) -> dict:
    """`clients` connections, each sending one row per request back to back; latencies of the
    requests sent after the warm-up, until `seconds` later. The clients share one event loop
    in this process: client threads would compete for the interpreter's lock, adding their own
    waits to the latencies measured and taking CPU from the server on the same cores."""
    requests = []
    for row in rows:
        body = json.dumps({"rows": [row]}).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        requests.append(head.encode() + body)
    latencies: list[float] = []
    failures: list[int] = []

    async def run_all() -> None:
        started = time.monotonic()
        window = {"measure_from": started + warm_up, "measure_to": started + warm_up + seconds}
        await asyncio.gather(*(
            _client(port, lambda sent, index=index: requests[(index + sent * clients) % len(requests)], latencies, failures, **window)
            for index in range(clients)))

    asyncio.run(run_all())
    every = np.array(latencies)
    return {"requests_per_second": len(every) / seconds, "p50_ms": 1000 * float(np.percentile(every, 50)),
            "p99_ms": 1000 * float(np.percentile(every, 99)), "requests": len(every), "failed": len(failures)}


def trained(platform: Platform, work: Path) -> tuple[list[dict], list[dict]]:
    """The two models trained and registered; rows to send to each."""
    from bench.inference import SAMPLE as TEXT_SAMPLE
    from bench.inference import TASK as TEXT_TASK
    from bench.inference import TRAINING
    from bench.support import train_on_platform
    from indus.plugins.contract import resolve_factory
    from indus.plugins.manager import build_registry

    registry = build_registry()
    messages = resolve_factory(registry.samples[TEXT_SAMPLE].generator)
    train_on_platform(TEXT_TASK, messages(rows=1200, seed=1), work / "text", epochs=1, **{**TRAINING, "max_length": 64})
    platform.register("support", work / "text" / "model", TEXT_TASK)
    transactions = resolve_factory(registry.samples["finance.card_transactions"].generator)(rows=2000, seed=1)
    tabular_task = registry.tasks["finance.fraud_detection"]
    train_on_platform("finance.fraud_detection", transactions, work / "tabular", epochs=3, backbone="tabular_mlp",
                      **{**TRAINING, "max_length": 32})
    platform.register("fraud", work / "tabular" / "model", "finance.fraud_detection")
    inputs = [column.name for column in tabular_task.model_columns]
    text_rows = [{"message": text} for text in messages(rows=2000, seed=2).column("message").to_pylist()]
    tabular_rows = transactions.select(inputs).slice(0, 500).to_pylist()
    return text_rows, tabular_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds of each load run")
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    from bench.report import print_table

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        platform = Platform(scratch / "var")
        text_rows, tabular_rows = trained(platform, scratch / "work")
        text_path, tabular_path = "/projects/bench/models/support/predict", "/projects/bench/models/fraud/predict"
        from indus_workers.devices import cpu_multiplies_bf16_natively

        precisions = ["float32", "bfloat16"] if cpu_multiplies_bf16_natively() else ["float32"]
        runs = [(precision, batching, "all") for precision in precisions for batching in (BATCHED, SINGLE)]
        runs.append(("float32", SINGLE, "1"))  # a single-row forward gains little from a second thread, which the event loop needs
        results = {}
        for precision, batching, threads in runs:
            options = ["--cpu-precision", precision, *(["--max-batch-rows", "1"] if batching == SINGLE else [])]
            compute_threads = {"INDUS_SERVING_COMPUTE_THREADS": "0" if threads == "all" else threads}
            server = Server(platform, scratch / f"serve-{len(results)}.log", *options, env=compute_threads)
            try:
                results[precision, batching, threads] = load(server.port, platform.token, text_path, text_rows, clients=args.clients,
                                                             seconds=args.seconds)
                if "tabular" not in results:
                    results["tabular"] = load(server.port, platform.token, tabular_path, tabular_rows, clients=1,
                                              seconds=min(args.seconds, 10))
            finally:
                server.stop()
    print_table(
        f"Serving MiniLM (support intents), {args.clients} concurrent clients, one row per request, loopback, CPU",
        ["precision", "", "compute threads", "requests/s", "p50 ms", "p99 ms", "failed"],
        [[precision, batching, threads, result["requests_per_second"], result["p50_ms"], result["p99_ms"], result["failed"]]
         for (precision, batching, threads), result in ((run, results[run]) for run in runs)],
    )
    # The baseline is the best a server answering one forward per request did here, whatever its settings.
    fastest = max((run for run in runs if run[1] == SINGLE), key=lambda run: results[run]["requests_per_second"])
    for precision in precisions:
        batched, single = results[precision, BATCHED, "all"], results[precision, SINGLE, "all"]
        print(f"{precision}: dynamic batching vs one forward per request: "
              f"{batched['requests_per_second'] / single['requests_per_second']:.2f}x throughput, "
              f"p99 {batched['p99_ms']:.0f} ms vs {single['p99_ms']:.0f} ms; "
              f"vs the fastest one forward per request ({fastest[0]}, {fastest[2]} compute threads): "
              f"{batched['requests_per_second'] / results[fastest]['requests_per_second']:.2f}x")
    tabular = results["tabular"]
    print(f"tabular (fraud detection, MLP), one client, one row per request: p50 {tabular['p50_ms']:.1f} ms, "
          f"p99 {tabular['p99_ms']:.1f} ms, {tabular['requests_per_second']:.0f} requests/s, {tabular['failed']} failed")

if __name__ == "__main__":
    main()
