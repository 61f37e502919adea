"""rdflib ↔ pyoxigraph terms, so that files and stores never write a term by hand.

pyoxigraph validates every IRI and literal as it builds the term, and writes terms in a
syntax valid for N-Triples, Turtle and SPARQL alike (``str(term)``). That makes it the
one place where text from a document (or a KB IRI from a link) turns into RDF syntax.
"""

from typing import List, Optional, Tuple

import pyoxigraph as ox
from rdflib import XSD, BNode, Literal, URIRef
from spacy.tokens import Doc

from ..errors import KgxInputError
from ..extensions import RDF_CONFIG
from .mapping import RDFMapping, doc_quads

XSD_STRING = ox.NamedNode(str(XSD.string))
DocGraph = Tuple[ox.NamedNode, List[ox.Quad]]


def to_oxigraph(term):
    """The pyoxigraph term for an rdflib URIRef, BNode or Literal; ValueError if invalid."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        datatype = ox.NamedNode(str(term.datatype)) if term.datatype else None
        return ox.Literal(str(term), datatype=datatype)
    raise ValueError(f"not an RDF term: {term!r}")


def from_oxigraph(term):
    """The rdflib term for a pyoxigraph term; xsd:string literals become plain literals."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise ValueError(f"not an RDF term: {term!r}")


def doc_mapping(doc: Doc, mapping: Optional[RDFMapping]) -> RDFMapping:
    """``mapping`` if given, else the one the ``kgx_rdf`` component stored on the Doc."""
    return mapping or RDFMapping.from_dict(doc._.get(RDF_CONFIG))


def doc_graph(doc: Doc, mapping: Optional[RDFMapping] = None) -> DocGraph:
    """The Doc's graph name and its distinct quads as pyoxigraph terms, in mapping order.

    Raises KgxInputError (naming the document) when a term is not valid RDF, e.g. a
    linked ``kb_id_`` or a configured class IRI containing spaces or ``>``.
    """
    mapping = doc_mapping(doc, mapping)
    name = mapping.doc_iri(doc)
    converted = {}

    def convert(term):
        node = converted.get(term)
        if node is None:
            node = converted[term] = to_oxigraph(term)
        return node

    try:
        graph = convert(name)
        quads = [
            ox.Quad(convert(s), convert(p), convert(o), graph)
            for s, p, o, _ in dict.fromkeys(doc_quads(doc, mapping))
        ]
    except ValueError as err:
        raise KgxInputError(name, f"cannot write this document as RDF: {err}") from None
    return graph, quads
