"""kgx-spacy: spaCy components that turn text into a knowledge graph."""

__version__ = "0.1.0"
