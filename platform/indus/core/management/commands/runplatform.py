import sys

from django.core.management.base import BaseCommand

from indus.core.processes import ChildSpec, supervise


class Command(BaseCommand):
    help = (
        "Run the web server (gunicorn) and one Celery worker serving both queues, with the "
        "periodic reconciler, until Ctrl-C, which stops both cleanly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--concurrency", type=int, default=2, help="worker processes")

    def handle(self, *args, bind: str, concurrency: int, **options):
        python = sys.executable
        children = [
            ChildSpec(
                name="web",
                argv=[python, "-m", "gunicorn", "indus.wsgi:application", "--bind", bind,
                      "--workers", "2", "--access-logfile", "-"],
            ),
            ChildSpec(
                name="worker",
                argv=[python, "-m", "celery", "-A", "indus", "worker", "--queues", "gpu,cpu",
                      "--concurrency", str(concurrency), "--beat", "--loglevel", "INFO",
                      "--hostname", "embedded@%h"],
            ),
        ]

        def announce():
            self.stdout.write(
                f"\nIndus is starting:\n  admin    http://{bind}/admin/\n  API      http://{bind}/api/v1/\n"
                "  worker   queues gpu, cpu (with the job reconciler)\nPress Ctrl-C to stop.\n"
            )
            self.stdout.flush()

        code = supervise(children, on_started=announce)
        self.stdout.write("stopped web server and worker")
        sys.exit(code)
