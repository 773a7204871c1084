"""System checks of the datasets app's settings, so that a bad one stops `manage.py check`,
`migrate` and the servers at start, not the first request that needs it."""
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register


@register()
def check_credentials_keys(app_configs=None, **kwargs) -> list[Error]:
    """INDUS_CREDENTIALS_KEYS must build the MultiFernet that encrypts stored SQL URLs (see
    sql_credentials): one key or more, each 32 url-safe base64-encoded bytes. A bad one failed late: a 500 on the first
    SQL import, or migration 0004 crashing half-way."""
    keys = settings.INDUS_CREDENTIALS_KEYS
    if not keys:
        return [Error("INDUS_CREDENTIALS_KEYS names no key", hint="generate one with "
                      "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
                      id="indus.datasets.E001")]
    errors = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(Error(
                f"key #{position} of INDUS_CREDENTIALS_KEYS is not a Fernet key (32 url-safe base64-encoded bytes)",
                hint="keys are comma-separated; make one with Fernet.generate_key()", id="indus.datasets.E002",
            ))
    return errors
