"""The ``graphrec`` command line: load, stats, export, derive, train, evaluate, serve, models,
schema, explore, report, delete-user, privacy, reset."""

from graphrec.cli import (  # noqa: F401 - each registers its commands
    batch,
    data,
    privacy,
    serving,
    training,
)
from graphrec.cli.common import app

__all__ = ["app"]
