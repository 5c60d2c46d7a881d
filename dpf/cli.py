"""The ``dpf`` command: Django's management commands under one name.

``dpf demo generate --persons 20000``, ``dpf id check NUMBER --json``, ``dpf migrate`` …
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dpf", *sys.argv[1:]])


if __name__ == "__main__":
    main()
