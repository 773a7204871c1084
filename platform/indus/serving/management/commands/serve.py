import os
import sys

from django.core.management.base import BaseCommand, CommandError

from indus.core.processes import ChildSpec, supervise

#: The command's tuning options: option, the `ServingConfig` field it sets, what it takes and
#: how that converts (a ValueError for anything else), and its help. Replicas get the text as given.
TUNING = [
    ("--max-batch-rows", "max_batch_rows", "a whole number", int,
     "rows computed in one forward (INDUS_SERVING_MAX_BATCH_ROWS); 1 turns batching off"),
    ("--max-wait-ms", "max_wait_seconds", "milliseconds", lambda ms: float(ms) / 1000,
     "longest wait for a batch to fill (INDUS_SERVING_MAX_WAIT_MS)"),
    ("--max-queue-rows", "max_queue_rows", "a whole number", int,
     "rows waiting per version before 503 (INDUS_SERVING_MAX_QUEUE_ROWS)"),
    # Checked where the serving process chooses its device (the supervisor of replicas loads no torch).
    ("--cpu-precision", "cpu_precision", "a precision", str,
     "what a CPU computes in: float32, bfloat16 or auto (INDUS_SERVING_CPU_PRECISION)"),
]


class Command(BaseCommand):
    help = (
        "Serve registered models over HTTP (KServe's ModelServer: a plain JSON route and the Open "
        "Inference Protocol), with the platform's tokens, roles and aliases. With --replicas N, N "
        "processes on ports --port ... --port+N-1, for a load balancer in front."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument("--replicas", type=int, default=1, help="serving processes, one port each")
        for option, field, _, _, help_text in TUNING:
            parser.add_argument(option, dest=field, default=None, help=help_text)

    def handle(self, *args, port: int, replicas: int, **options):
        if replicas < 1:
            raise CommandError("--replicas must be at least 1")
        overrides, given = {}, []
        for option, field, takes, convert, _ in TUNING:
            if options[field] is not None:
                try:
                    overrides[field] = convert(options[field])
                except ValueError:
                    raise CommandError(f"{option} takes {takes}, not {options[field]!r}") from None
                given += [option, options[field]]
        if replicas > 1:
            self._supervise_replicas(port, replicas, given)
            return
        from indus.serving.server import ServingConfig, build_server  # torch and KServe: only here

        try:
            server, _ = build_server(ServingConfig(port=port, **overrides))
        except ValueError as error:  # the CPU precision, given here or as INDUS_SERVING_CPU_PRECISION
            raise CommandError(str(error)) from None
        self.stdout.write(f"serving models on port {port}")
        self.stdout.flush()
        server.start([])

    def _supervise_replicas(self, port: int, replicas: int, tuning: list[str]) -> None:
        settings_module = {"DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "indus.settings"),
                           "INDUS_SERVING_REPLICAS": str(replicas)}
        children = [
            ChildSpec(name=f"serve-{index}", argv=[sys.executable, "-m", "django", "serve", "--port", str(port + index), *tuning],
                      env=settings_module)
            for index in range(replicas)
        ]
        code = supervise(children, on_started=lambda: self.stdout.write(
            f"serving replicas on ports {port}-{port + replicas - 1}"))
        sys.exit(code)
