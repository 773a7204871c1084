"""`manage.py create_api_token USERNAME`: a first token for a script or CI, printed once."""
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from indus.tenancy.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is not shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--days", type=int, default=None, help="days until it expires")
        parser.add_argument("--can-create-tokens", action="store_true",
                            help="let the token create tokens itself (revoking it revokes those too)")

    def handle(self, *args, username, name, days, can_create_tokens, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"there is no user {username!r}")
        try:
            token, secret = api_token_create(
                user=user, name=name, expires_in_days=days, can_create_tokens=can_create_tokens
            )
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from None
        self.stderr.write(f"token {token.prefix} for {username}, expires {token.expires_at:%Y-%m-%d}")
        self.stdout.write(secret)
