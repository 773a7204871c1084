from django.core.management.base import BaseCommand

from indus.jobs.reconciler import jobs_reconcile


class Command(BaseCommand):
    help = "Send again the jobs whose worker died or whose broker message was lost."

    def handle(self, *args, **options):
        report = jobs_reconcile()
        self.stdout.write(
            f"released {report.released} job(s) from silent workers, "
            f"re-sent {report.redispatched} waiting job(s)"
        )
