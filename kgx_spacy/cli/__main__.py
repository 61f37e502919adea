"""``python -m kgx_spacy.cli``."""

from . import app

app()
