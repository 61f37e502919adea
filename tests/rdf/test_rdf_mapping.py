"""The Doc → RDF mapping: provenance on every asserted triple, deterministic valid IRIs."""

import pyoxigraph as ox
import pytest
from rdf_helpers import make_doc
from rdflib import RDF

from kgx_spacy.errors import KgxInputError
from kgx_spacy.rdf.mapping import RDFMapping, doc_quads, doc_to_dataset
from kgx_spacy.rdf.oxigraph import doc_graph, to_oxigraph
from kgx_spacy.rdf.vocab import KGX

WORDS = ["Marie", "Curie", "was", "born", "in", "Warsaw", "on", "7", "November", "1867", "."]
ENTS = [(0, 2, "Peop"), (5, 6, "Loc")]
RELATIONS = [((0, 2), (5, 6), "Born In")]
ATTRIBUTES = [
    {
        "entity": [0, 2],
        "value": [7, 10],
        "attribute": "date of birth",
        "score": 0.5,
        "lexical": "1867-11-07",
        "datatype": "http://www.w3.org/2001/XMLSchema#date",
    }
]
LINKS = [{"start": 0, "end": 2, "iri": "http://www.wikidata.org/entity/Q7186", "score": 0.9}]

# Every triple that a statement node carries, and the document's own description.
UNASSERTED = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX kgx: <https://w3id.org/kgx-spacy/vocab#>
SELECT ?s ?p ?o WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER (?s != ?g)
  FILTER NOT EXISTS { GRAPH ?g { ?s a rdf:Statement } }
  FILTER NOT EXISTS { GRAPH ?g {
    ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
        prov:wasDerivedFrom ?g ; kgx:component ?c ; kgx:confidence ?conf ;
        kgx:startChar ?b ; kgx:endChar ?e ; kgx:runId ?run .
    FILTER (datatype(?conf) = <http://www.w3.org/2001/XMLSchema#double> && ?b < ?e)
  } }
}
"""
ASSERTED = "SELECT (COUNT(DISTINCT ?st) AS ?n) WHERE { GRAPH ?g { ?st a rdf:Statement } }"


def full_doc(doc_id="curie"):
    return make_doc(WORDS, ENTS, RELATIONS, ATTRIBUTES, LINKS, doc_id=doc_id)


def test_every_asserted_triple_has_provenance():
    dataset = doc_to_dataset(full_doc(), RDFMapping(run_id="run-1"))
    assert list(dataset.query(UNASSERTED)) == []
    # type + label for 2 entities, 1 relation, 1 attribute
    (row,) = dataset.query(ASSERTED, initNs={"rdf": RDF})
    assert int(row[0]) == 6


def components(mapping):
    dataset = doc_to_dataset(full_doc(), mapping)
    return {str(o) for _, _, o, _ in dataset.quads((None, KGX.component, None, None))}


def test_statements_name_their_component():
    assert components(RDFMapping.gold()) == {"gold"}
    assert components(RDFMapping()) == {
        "kgx_ner",
        "kgx_entity_linker",
        "kgx_relation_classifier",
        "kgx_attribute_tagger",
    }


def test_minted_iris_are_deterministic():
    mapping = RDFMapping()
    first = list(doc_quads(full_doc(), mapping))
    second = list(doc_quads(full_doc(), RDFMapping()))
    assert first == second
    # the same mention text and type mint the same IRI, whatever the layout
    a = make_doc(["New", "York", "is", "big"], [(0, 2, "Loc")], doc_id="a")
    spaces = [True, False, False, False]
    b = make_doc(["in", "New", "\n", "York"], [(1, 4, "Loc")], doc_id="b", spaces=spaces)
    iri = mapping.entity_iri("New York", "Loc")
    for doc in (a, b):
        typed = doc_to_dataset(doc, mapping).quads((iri, RDF.type, mapping.class_iri("Loc"), None))
        assert len(list(typed)) == 1


@pytest.mark.parametrize("label", ["Work For", "a_b", "x/y#z", "über ünd", "} ; DROP ALL", "<b>"])
def test_labels_become_valid_distinct_iris(label):
    mapping = RDFMapping()
    iris = mapping.class_iri(label), mapping.property_iri(label), mapping.entity_iri(label, label)
    for iri in iris:
        assert ox.NamedNode(str(iri)).value == str(iri)  # pyoxigraph validates IRIs
        assert " " not in iri and ">" not in iri
    assert mapping.class_iri("a b") != mapping.class_iri("a_b")


def test_a_document_graph_is_named_by_the_document():
    doc = full_doc()
    name, quads = doc_graph(doc, RDFMapping())
    assert name == to_oxigraph(RDFMapping().doc_iri(doc))
    assert quads and all(q.graph_name == name for q in quads)
    assert len(quads) == len(set(quads))


def test_an_invalid_linked_iri_names_the_document():
    bad = "http://x> } ; DROP ALL ; INSERT DATA { <y"
    link = {"start": 0, "end": 1, "iri": bad, "score": 1.0}
    doc = make_doc(["Ada"], [(0, 1, "Peop")], links=[link], doc_id="ada")
    with pytest.raises(KgxInputError, match="document/ada"):
        doc_graph(doc, RDFMapping())
