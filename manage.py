#!/usr/bin/env python
"""Django's command-line entry point for Indus (settings: indus.settings)."""
import os
import sys
from pathlib import Path

# platform/ is a source root, not a package: `platform` is also a standard-library module.
sys.path.insert(0, str(Path(__file__).resolve().parent / "platform"))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "indus.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
