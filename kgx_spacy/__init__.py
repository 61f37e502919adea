"""kgx-spacy: spaCy components that turn text into a knowledge graph."""

from .extensions import install_extensions

__version__ = "0.1.0"

install_extensions()
