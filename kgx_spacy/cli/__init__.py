"""``kgx`` command line: thin typer commands over plain functions (one module per group)."""

from . import calibrate, convert, distant, export, extract, kb, kge, query  # noqa: F401  (each module registers its commands)
from ._app import app

__all__ = ["app"]
