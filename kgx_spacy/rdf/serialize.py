"""Docs → RDF files: Turtle, N-Triples, N-Quads, TriG, JSON-LD.

Quad formats (N-Quads, TriG, JSON-LD) keep one named graph per document; triple formats
(Turtle, N-Triples) hold the union of the documents' graphs. Every format is written by
pyoxigraph's streaming serialisers, one document at a time, so memory stays bounded by
the largest document. (rdflib's Turtle writer is not used: it emits invalid long strings
for texts that hold a newline and end in a backslash and a quote.)
"""

from enum import Enum
from pathlib import Path
from typing import Iterable, List, Optional, Union

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD
from rdflib.namespace import DCTERMS, PROV
from spacy.tokens import Doc

from ..errors import KgxInputError
from ..io import atomic_write
from .mapping import RDFMapping
from .oxigraph import doc_graph
from .store import ExportStats
from .vocab import KGX

FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
}
# The names of FORMATS as a choice (``kgx export --format``, ``kgx dump --format``).
Format = Enum("Format", {name: name for name in FORMATS}, type=str)
EXTENSIONS = {".ttl": "ttl", ".nt": "nt", ".nq": "nq", ".trig": "trig", ".jsonld": "jsonld"}
PREFIXES = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "kgx": str(KGX._NS),
}


def file_format(path: Union[str, Path], fmt: Optional[str] = None) -> str:
    """``fmt`` if given, else the format named by the file extension (``.ttl`` → ``"ttl"``)."""
    fmt = fmt or EXTENSIONS.get(Path(path).suffix.lower())
    if fmt not in FORMATS:
        known = ", ".join(FORMATS)
        raise KgxInputError(path, f"unknown RDF format {fmt!r}: choose one of {known}")
    return fmt


def write_file(
    docs: Iterable[Doc],
    path: Union[str, Path],
    fmt: Optional[str] = None,
    mapping: Optional[RDFMapping] = None,
) -> ExportStats:
    """Write Docs to one RDF file, atomically: on any error an existing file stays as it was.

    fmt: one of FORMATS; None guesses it from the extension.
    mapping: the RDF mapping; None uses each Doc's own (the ``kgx_rdf`` config).
    """
    rdf_format = FORMATS[file_format(path, fmt)]
    stats = ExportStats()

    def statements():
        for doc in docs:
            _, quads = doc_graph(doc, mapping)
            stats.documents += 1
            stats.quads += len(quads)
            quads = _by_subject(quads)
            if rdf_format.supports_datasets:
                yield from quads
            else:
                yield from (quad.triple for quad in quads)

    with atomic_write(path, "wb") as f:
        ox.serialize(statements(), f, rdf_format, prefixes=PREFIXES)
    return stats


def _by_subject(quads: List[ox.Quad]) -> List[ox.Quad]:
    """Quads grouped by subject (in order of first appearance), for compact Turtle/TriG."""
    groups = {}
    for quad in quads:
        groups.setdefault(quad.subject, []).append(quad)
    return [quad for group in groups.values() for quad in group]
