import os
import sys

from django.core.management.base import BaseCommand, CommandError

from indus.core.processes import ChildSpec, supervise


class Command(BaseCommand):
    help = (
        "Serve registered models over HTTP (KServe's ModelServer: a plain JSON route and the Open "
        "Inference Protocol), with the platform's tokens, roles and aliases. With --replicas N, N "
        "processes on ports --port ... --port+N-1, for a load balancer in front."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument("--replicas", type=int, default=1, help="serving processes, one port each")
        parser.add_argument("--max-batch-rows", type=int, default=None,
                            help="rows computed in one forward (INDUS_SERVING_MAX_BATCH_ROWS); 1 turns batching off")
        parser.add_argument("--max-wait-ms", type=float, default=None,
                            help="longest wait for a batch to fill (INDUS_SERVING_MAX_WAIT_MS)")
        parser.add_argument("--max-queue-rows", type=int, default=None,
                            help="rows waiting per version before 503 (INDUS_SERVING_MAX_QUEUE_ROWS)")

    def handle(self, *args, port: int, replicas: int, max_batch_rows, max_wait_ms, max_queue_rows, **options):
        if replicas < 1:
            raise CommandError("--replicas must be at least 1")
        if replicas > 1:
            tuning = {"--max-batch-rows": max_batch_rows, "--max-wait-ms": max_wait_ms, "--max-queue-rows": max_queue_rows}
            self._supervise_replicas(port, replicas, [str(part) for flag, value in tuning.items() if value is not None
                                                      for part in (flag, value)])
            return
        from indus.serving.server import ServingConfig, build_server  # torch and KServe: only here

        overrides = {"port": port}
        if max_batch_rows is not None:
            overrides["max_batch_rows"] = max_batch_rows
        if max_wait_ms is not None:
            overrides["max_wait_seconds"] = max_wait_ms / 1000
        if max_queue_rows is not None:
            overrides["max_queue_rows"] = max_queue_rows
        server, _ = build_server(ServingConfig(**overrides))
        self.stdout.write(f"serving models on port {port}")
        self.stdout.flush()
        server.start([])

    def _supervise_replicas(self, port: int, replicas: int, tuning: list[str]) -> None:
        settings_module = {"DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "indus.settings")}
        children = [
            ChildSpec(name=f"serve-{index}", argv=[sys.executable, "-m", "django", "serve", "--port", str(port + index), *tuning],
                      env=settings_module)
            for index in range(replicas)
        ]
        code = supervise(children, on_started=lambda: self.stdout.write(
            f"serving replicas on ports {port}-{port + replicas - 1}"))
        sys.exit(code)
