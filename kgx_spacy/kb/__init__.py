"""A KB read from RDF: entities, labels/aliases, types, entity–entity triples; candidate lookup."""

from .build import DEFAULT_LABEL_PREDICATES, FORMATS, build_kb, read_quads
from .index import AliasIndex, AliasMatch, normalise
from .kb import KB, Candidate
from .strings import StringTable

__all__ = [
    "DEFAULT_LABEL_PREDICATES",
    "FORMATS",
    "KB",
    "AliasIndex",
    "AliasMatch",
    "Candidate",
    "StringTable",
    "build_kb",
    "normalise",
    "read_quads",
]
