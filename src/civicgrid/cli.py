"""`civicgrid`: Django's management commands with CivicGrid's settings, e.g. `civicgrid migrate`, `civicgrid demo`."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["civicgrid", *sys.argv[1:]])


if __name__ == "__main__":
    main()
