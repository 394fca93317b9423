"""The ``graphrec`` command line: load, stats, export, derive, train, evaluate, serve, models,
schema, explore, report, delete-user, privacy, reset."""

from graphrec.cli import data, privacy, serving, training  # noqa: F401 - each registers its commands
from graphrec.cli.common import app

__all__ = ["app"]
