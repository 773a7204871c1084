"""`manage.py rotate_sql_credentials`: stored SQL connection URLs encrypted again under the first
key of INDUS_CREDENTIALS_KEYS, after which the older keys can be removed from the list."""
from django.core.management.base import BaseCommand

from indus.datasets.sql_credentials import sql_connections_rotate


class Command(BaseCommand):
    help = "Encrypt every stored SQL connection URL again under the first INDUS_CREDENTIALS_KEYS key."

    def handle(self, *args, **options):
        self.stdout.write(f"{sql_connections_rotate()} stored SQL connection URLs encrypted under the first key")
