"""A pipeline trained on one vocabulary's predicates names its relations and attributes in it."""

import pyoxigraph as ox
import spacy
from rdflib import URIRef
from spacy.tokens import Span
from typer.testing import CliRunner

from kgx_spacy.cli import app
from kgx_spacy.extensions import install_extensions
from kgx_spacy.rdf.mapping import RDFMapping, doc_to_dataset

DBO = "http://dbpedia.org/ontology/"


def _doc():
    install_extensions()
    nlp = spacy.blank("en")
    doc = nlp("Aarhus Airport serves Aarhus since 1925.")
    doc.ents = [Span(doc, 0, 2, "ENT"), Span(doc, 3, 4, "ENT")]
    doc._.kgx_relations = [{"head": [0, 2], "tail": [3, 4], "label": "cityServed", "score": 0.9}]
    doc._.kgx_attributes = [{"entity": [0, 2], "value": [5, 6], "attribute": "openingYear", "score": 0.8,
                             "lexical": "1925", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}]
    return doc


def test_unmapped_labels_go_to_the_vocabulary():
    mapping = RDFMapping(vocabulary=DBO, properties={"serves": "http://example.org/serves"})
    assert mapping.property_iri("cityServed") == URIRef(DBO + "cityServed")
    assert mapping.attribute_iri("openingYear") == URIRef(DBO + "openingYear")
    assert mapping.property_iri("serves") == URIRef("http://example.org/serves")  # mapped wins
    assert mapping.property_iri("a/b") == URIRef(DBO + "a%2Fb")  # one path segment
    dataset = doc_to_dataset(_doc(), mapping)
    predicates = {p for _, p, _, _ in dataset.quads()}
    assert URIRef(DBO + "cityServed") in predicates and URIRef(DBO + "openingYear") in predicates
    assert RDFMapping().property_iri("cityServed") == URIRef("http://example.org/kgx/property/cityServed")


def test_dump_writes_the_store(tmp_path):
    from kgx_spacy.rdf.store import write_store

    doc = _doc()
    write_store([doc], tmp_path / "store", RDFMapping(vocabulary=DBO))
    expected = {q for q in doc_to_dataset(doc, RDFMapping(vocabulary=DBO)).quads()}
    result = CliRunner().invoke(app, ["dump", "--store", str(tmp_path / "store"), "-o", str(tmp_path / "all.nq")])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "all.nq", "rb") as f:
        quads = list(ox.parse(f, ox.RdfFormat.N_QUADS))
    assert len(quads) == len(expected)
    result = CliRunner().invoke(app, ["dump", "--store", str(tmp_path / "store"), "-o", str(tmp_path / "all.ttl")])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "all.ttl", "rb") as f:
        triples = list(ox.parse(f, ox.RdfFormat.TURTLE))
    assert len(triples) == len({q.triple for q in quads})
    assert any(t.object == ox.Literal("1925", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")) for t in triples)
    result = CliRunner().invoke(app, ["dump", "--store", str(tmp_path / "nothing"), "-o", str(tmp_path / "x.nq")])
    assert result.exit_code == 2 and "no store here" in result.output
    assert not (tmp_path / "x.nq").exists()
