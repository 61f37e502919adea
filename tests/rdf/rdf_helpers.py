"""Helpers shared by the RDF tests: building Docs, reading stores back, comparing datasets."""

import json
import socket
from typing import Iterable, List, Optional, Sequence, Tuple

import pyoxigraph as ox
import spacy
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from spacy.tokens import Doc, Span

from kgx_spacy.rdf.mapping import RDFMapping, doc_to_dataset
from kgx_spacy.rdf.oxigraph import from_oxigraph
from kgx_spacy.rdf.sparql import SparqlEndpoint

NLP = spacy.blank("en")
Offsets = Tuple[int, int]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_doc(
    words: Sequence[str],
    ents: Iterable[Tuple[int, int, str]] = (),
    relations: Iterable[Tuple[Offsets, Offsets, str]] = (),
    attributes: Iterable[dict] = (),
    links: Iterable[dict] = (),
    doc_id: Optional[str] = None,
    spaces: Optional[Sequence[bool]] = None,
) -> Doc:
    """A Doc over ``words`` with entities ``(start, end, label)`` and kgx records."""
    doc = Doc(NLP.vocab, words=list(words), spaces=list(spaces) if spaces else None)
    doc.ents = [Span(doc, start, end, label=label) for start, end, label in ents]
    doc._.kgx_relations = [
        {"head": list(head), "tail": list(tail), "label": label, "score": 0.75}
        for head, tail, label in relations
    ]
    doc._.kgx_attributes = list(attributes)
    doc._.kgx_links = list(links)
    doc._.kgx_doc_id = doc_id
    return doc


def expected_dataset(docs: Iterable[Doc], mapping: Optional[RDFMapping] = None) -> Dataset:
    """All the Docs' graphs in one Dataset, built by rdflib alone (the reference)."""
    dataset = Dataset()
    for doc in docs:
        for s, p, o, g in doc_to_dataset(doc, mapping).quads():
            dataset.graph(g.identifier if isinstance(g, Graph) else g).add((s, p, o))
    return dataset


def union_graph(dataset: Dataset) -> Graph:
    graph = Graph()
    for s, p, o, _ in dataset.quads():
        graph.add((s, p, o))
    return graph


def graph_names(dataset: Dataset) -> set:
    return {
        g.identifier
        for g in dataset.graphs()
        if len(g) and g.identifier != DATASET_DEFAULT_GRAPH_ID
    }


def assert_same_dataset(actual: Dataset, expected: Dataset) -> None:
    """Same named graphs, each isomorphic; nothing in the default graph."""
    assert len(actual.default_graph) == 0
    assert graph_names(actual) == graph_names(expected)
    for name in graph_names(expected):
        assert isomorphic(actual.graph(name), expected.graph(name)), name


def store_dataset(store: ox.Store) -> Dataset:
    """Every quad of an embedded store, as an rdflib Dataset."""
    dataset = Dataset()
    for quad in store:
        dataset.graph(from_oxigraph(quad.graph_name)).add(
            (from_oxigraph(quad.subject), from_oxigraph(quad.predicate), from_oxigraph(quad.object))
        )
    return dataset


def server_dataset(endpoint: SparqlEndpoint) -> Dataset:
    """Every named graph of a server, read back with one CONSTRUCT query per graph."""
    dataset = Dataset()
    for name in server_graphs(endpoint):
        body = endpoint.query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {URIRef(name).n3()} {{ ?s ?p ?o }} }}",
            accept="application/n-triples",
        )
        dataset.graph(URIRef(name)).parse(data=body.decode("utf-8"), format="nt")
    return dataset


def server_graphs(endpoint: SparqlEndpoint) -> List[str]:
    rows = select(endpoint, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return [row["g"]["value"] for row in rows]


def server_count(endpoint: SparqlEndpoint) -> int:
    """Quads in all named graphs plus the default graph."""
    rows = select(
        endpoint,
        "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
    )
    return int(rows[0]["n"]["value"])


def select(endpoint: SparqlEndpoint, query: str) -> list:
    return json.loads(endpoint.query(query))["results"]["bindings"]
