"""The shape of an API token: `indus_<prefix>_<secret>`.

The prefix finds the token's row and shows which token is which; the secret is 256 random
bits of which only the sha256 is stored, so a copy of the database grants nothing. (A plain
hash is enough: the secret is random, not a password that could be guessed.)
"""
import hashlib
import secrets

SCHEME = "indus"
PREFIX_BYTES = 6
SECRET_BYTES = 32


def new_token_parts() -> tuple[str, str]:
    return secrets.token_hex(PREFIX_BYTES), secrets.token_urlsafe(SECRET_BYTES)


def format_token(prefix: str, secret: str) -> str:
    return f"{SCHEME}_{prefix}_{secret}"


def parse_token(presented: str) -> tuple[str, str] | None:
    """(prefix, secret), or None for something that is not an Indus token at all."""
    scheme, _, rest = presented.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != SCHEME or len(prefix) != 2 * PREFIX_BYTES or not secret:
        return None
    return prefix, secret


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, digest: str) -> bool:
    return secrets.compare_digest(secret_digest(secret), digest)
