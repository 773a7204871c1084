import sys

from django.core.management.base import BaseCommand

from indus.core.processes import ChildSpec, supervise


class Command(BaseCommand):
    help = (
        "Run the web server (gunicorn), one Celery worker serving both queues with the periodic "
        "reconciler, and the model serving process, until Ctrl-C, which stops them all cleanly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
        parser.add_argument("--serve-port", type=int, default=8100, help="port of the model serving process")

    def handle(self, *args, bind: str, concurrency: int, serve_port: int, **options):
        python = sys.executable
        children = [
            ChildSpec(
                name="web",
                argv=[python, "-m", "gunicorn", "indus.wsgi:application", "--bind", bind,
                      "--workers", "2", "--access-logfile", "-"],
            ),
            ChildSpec(
                name="worker",
                argv=[python, "-m", "celery", "-A", "indus.celery", "worker", "--queues", "gpu,cpu",
                      "--concurrency", str(concurrency), "--beat", "--loglevel", "INFO",
                      "--hostname", "embedded@%h"],
            ),
            ChildSpec(name="serve", argv=[python, "-m", "django", "serve", "--port", str(serve_port)]),
        ]

        def announce():
            self.stdout.write(
                f"\nIndus is starting:\n  admin    http://{bind}/admin/\n  API      http://{bind}/api/v1/\n"
                "  worker   queues gpu, cpu (with the job reconciler)\n"
                f"  serving  http://{bind.rpartition(':')[0]}:{serve_port}/ (models by alias; see the README)\n"
                "Press Ctrl-C to stop.\n"
            )
            self.stdout.flush()

        code = supervise(children, on_started=announce)
        self.stdout.write("stopped web server and worker, and the serving process")
        sys.exit(code)
