"""Where the client finds the server and its token: INDUS_URL and INDUS_TOKEN, else the file
`indus login` writes (INDUS_CONFIG, or $XDG_CONFIG_HOME/indus/config.json)."""
import json
import os
from dataclasses import dataclass
from pathlib import Path


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Config:
    url: str
    token: str


def config_path() -> Path:
    if explicit := os.environ.get("INDUS_CONFIG"):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "indus" / "config.json"


def load_config() -> Config:
    stored = {}
    path = config_path()
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ConfigError(f"cannot read {path}: {error}") from None
    url = os.environ.get("INDUS_URL") or stored.get("url")
    token = os.environ.get("INDUS_TOKEN") or stored.get("token")
    if not url or not token:
        raise ConfigError("no server or token: run `indus login`, or set INDUS_URL and INDUS_TOKEN")
    return Config(url=url.rstrip("/"), token=token)


def save_config(config: Config) -> Path:
    """Write the file readable by its owner only: it holds a secret."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"url": config.url, "token": config.token}, handle, indent=2)
    return path
