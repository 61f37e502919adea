"""kgx compare: extracted facts (kgx_rdf's own output) against a tiny KG, classed exactly."""

import json

import pyoxigraph as ox
import pytest
import spacy
from typer.testing import CliRunner

from kgx_spacy.cli import app
from kgx_spacy.extensions import ATTRIBUTES, DOC_ID, LINKS, RELATIONS, install_extensions
from kgx_spacy.feedback.compare import (
    CONFIRMED,
    CONFLICTING,
    NEW,
    NEW_ENTITY,
    Fact,
    KnowledgeGraph,
    Ranking,
    compare,
    endpoint_rows,
    fact_quads,
    fit_ranking,
    open_source,
    store_rows,
)
from kgx_spacy.rdf.mapping import RDFMapping
from kgx_spacy.rdf.oxigraph import doc_graph
from kgx_spacy.rdf.sparql import SparqlEndpoint, replace_graphs_update

EX = "http://example.org/"
KG = f"""\
@prefix ex: <{EX}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:spouse a owl:FunctionalProperty .
ex:alice rdfs:label "Alice" ; ex:birthPlace ex:paris ; ex:worksFor ex:acme , ex:initech ; ex:spouse ex:bob .
ex:bob rdfs:label "Bob" ; ex:birthPlace ex:lyon .
ex:carol ex:birthPlace ex:paris .
ex:dan ex:birthPlace ex:nice .
ex:erin ex:birthPlace ex:lyon ; ex:worksFor ex:acme .
ex:frank ex:spouse ex:erin .
"""
MAPPING = RDFMapping(base_iri="http://example.org/kgx/", vocabulary=EX)

# text, entities (start, end, KB id or None for NIL), relations (head, tail, label, score)
DOCS = [
    ("alice was born in paris .", [(0, 1, "alice"), (4, 5, "paris")], [(0, 1, "birthPlace", 0.9)]),  # confirmed
    ("alice was born in lyon .", [(0, 1, "alice"), (4, 5, "lyon")], [(0, 1, "birthPlace", 0.8)]),  # conflict: functional by data
    ("alice works for nice .", [(0, 1, "alice"), (3, 4, "nice")], [(0, 1, "worksFor", 0.7)]),  # new: worksFor has 2 objects
    ("bob married erin .", [(0, 1, "bob"), (2, 3, "erin")], [(0, 1, "spouse", 0.6)]),  # new: bob has no spouse in the KG
    ("frank married carol .", [(0, 1, "frank"), (2, 3, "carol")], [(0, 1, "spouse", 0.5)]),  # conflict: declared functional
    ("zed works for acme .", [(0, 1, None), (3, 4, "acme")], [(0, 1, "worksFor", 0.9)]),  # new entity: zed is NIL
    ("again alice works for nice .", [(1, 2, "alice"), (4, 5, "nice")], [(0, 1, "worksFor", 0.4)]),  # 2nd document
]


def extracted_docs():
    install_extensions()
    nlp = spacy.blank("en")
    docs = []
    for i, (text, ents, rels) in enumerate(DOCS):
        doc = nlp.make_doc(text)
        spans = [doc[s:e] for s, e, _ in ents]
        doc.ents = [spacy.tokens.Span(doc, s, e, label="ENT", kb_id=EX + iri if iri else EX + "minted/zed")
                    for s, e, iri in ents]
        doc._.set(LINKS, [{"start": s, "end": e, "iri": EX + (iri or "minted/zed"), "score": 0.9, "nil": iri is None}
                          for s, e, iri in ents])
        doc._.set(RELATIONS, [{"head": [spans[h].start, spans[h].end], "tail": [spans[t].start, spans[t].end],
                               "label": label, "score": score} for h, t, label, score in rels])
        doc._.set(ATTRIBUTES, [])
        doc._.set(DOC_ID, f"doc{i}")
        docs.append(doc)
    return docs


@pytest.fixture
def store_dir(tmp_path):
    store = ox.Store(str(tmp_path / "store"))
    for doc in extracted_docs():
        _, quads = doc_graph(doc, MAPPING)
        store.extend(quads)
    store.flush()
    del store
    return tmp_path / "store"


@pytest.fixture
def kg_file(tmp_path):
    path = tmp_path / "kg.ttl"
    path.write_text(KG, encoding="utf-8")
    return path


def facts_by_kind(facts):
    out = {}
    for f in facts:
        out.setdefault(f.kind, set()).add((f.subject.value[len(EX):], f.predicate.value[len(EX):], f.object.value[len(EX):]))
    return out


def test_facts_are_classed_exactly(store_dir, kg_file):
    kg = KnowledgeGraph.from_files([kg_file])
    assert {p.value for p in kg.functional} == {EX + "birthPlace", EX + "spouse"}  # by data, declared
    rows, nils = store_rows(open_source(store_dir))
    facts = compare(rows, nils, kg)
    assert facts_by_kind(facts) == {
        CONFIRMED: {("alice", "birthPlace", "paris")},
        CONFLICTING: {("alice", "birthPlace", "lyon"), ("frank", "spouse", "carol")},
        NEW: {("alice", "worksFor", "nice"), ("bob", "spouse", "erin")},
        NEW_ENTITY: {("minted/zed", "worksFor", "acme")},
    }
    stated_twice = next(f for f in facts if f.object.value == EX + "nice")
    assert len(stated_twice.documents) == 2 and stated_twice.confidence == pytest.approx(0.7)
    conflict = next(f for f in facts if f.object.value == EX + "carol")
    assert [o.value for o in conflict.kg_objects] == [EX + "erin"]
    assert [f.kind for f in facts][:2] == [NEW, NEW]  # new facts first, best first
    assert facts[0].object.value == EX + "nice"  # confidence 0.7 over 0.6


def test_the_rdf_output_round_trips_through_the_embedded_store(store_dir, kg_file, tmp_path):
    rows, nils = store_rows(open_source(store_dir))
    facts = compare(rows, nils, KnowledgeGraph.from_files([kg_file]))
    out = ox.Store(str(tmp_path / "out"))
    out.extend(fact_quads(facts, "http://example.org/compare/"))
    answer = out.query(f"""SELECT ?o ?n WHERE {{ GRAPH <http://example.org/compare/new> {{
        ?st <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> <{EX}alice> ;
            <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> ?o ;
            <https://w3id.org/kgx-spacy/vocab#documentCount> ?n . }} }}""")
    assert [(row["o"].value, int(row["n"].value)) for row in answer] == [(EX + "nice", 2)]
    graphs = {g.value for g in out.named_graphs()}
    assert graphs == {f"http://example.org/compare/{k}" for k in (NEW, CONFLICTING, CONFIRMED, NEW_ENTITY)}


def test_a_fitted_ranking_learns_which_evidence_counts(tmp_path):
    """Labels that follow the number of documents, not the confidence: the fit weighs documents."""
    facts = [Fact(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.NamedNode(f"{EX}o{i}"),
                  documents=[f"d{j}" for j in range(1 + i % 3)], confidence=0.5 + (i % 5) / 10) for i in range(60)]
    labels = [len(f.documents) > 1 for f in facts]
    ranking = fit_ranking(facts, labels)
    assert ranking.weights[1] > 0 and abs(ranking.weights[0]) < ranking.weights[1]
    ranking.to_disk(tmp_path / "ranking.json")
    assert Ranking.from_disk(tmp_path / "ranking.json").weights == ranking.weights


def test_the_command_prints_and_writes_json(store_dir, kg_file, tmp_path):
    out = tmp_path / "facts.json"
    result = CliRunner().invoke(app, ["compare", str(store_dir), "--kg", str(kg_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "6 distinct facts: 2 new, 2 conflicting, 1 confirmed, 1 new entity" in result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["kind"] for r in rows] == [NEW, NEW, CONFLICTING, CONFLICTING, CONFIRMED, NEW_ENTITY]
    bad = CliRunner().invoke(app, ["compare", str(tmp_path / "missing"), "--kg", str(kg_file)])
    assert bad.exit_code == 2 and "no such store folder or file" in bad.output


def test_literals_are_compared_by_value(tmp_path):
    """The KG's plain-text values ("560937000.0 (kilometres)", "388") and the typed literals
    the pipeline writes are one value; a different value of a functional property conflicts."""
    from kgx_spacy.feedback.compare import classify

    lines = [f'ex:a{i} ex:pages "{300 + i}" ; ex:apoapsis "{1000 + i}.0 (kilometres)" .' for i in range(5)]
    (tmp_path / "kg.ttl").write_text(f"@prefix ex: <{EX}> .\n" + "\n".join(lines), encoding="utf-8")
    kg = KnowledgeGraph.from_files([tmp_path / "kg.ttl"])
    integer, ucum = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"), ox.NamedNode("https://w3id.org/cdt/ucum")
    facts = [
        Fact(ox.NamedNode(EX + "a0"), ox.NamedNode(EX + "pages"), ox.Literal("300", datatype=integer)),
        Fact(ox.NamedNode(EX + "a1"), ox.NamedNode(EX + "apoapsis"), ox.Literal("1001 km", datatype=ucum)),
        Fact(ox.NamedNode(EX + "a2"), ox.NamedNode(EX + "pages"), ox.Literal("999", datatype=integer)),
    ]
    classify(facts, kg, set())
    assert [f.kind for f in facts] == [CONFIRMED, CONFIRMED, CONFLICTING]


def test_an_endpoint_gives_the_same_facts_as_the_store(store_dir, kg_file, oxigraph_server):
    """The extracted graphs loaded into a real oxigraph serve (SPARQL Update, no text
    spliced), read back through the endpoint: the same classed facts as from the store."""
    endpoint = SparqlEndpoint(f"{oxigraph_server}/query", update_url=f"{oxigraph_server}/update")
    endpoint.update("DROP ALL")
    store = open_source(store_dir)
    graphs = [(g, list(store.quads_for_pattern(None, None, None, g))) for g in store.named_graphs()]
    endpoint.update(replace_graphs_update(graphs))
    kg = KnowledgeGraph.from_files([kg_file])
    from_store = compare(*store_rows(store), kg)
    from_endpoint = compare(*endpoint_rows(endpoint.query), kg)
    summary = [(f.kind, f.triple, f.documents, f.confidence) for f in from_store]
    assert summary == [(f.kind, f.triple, f.documents, f.confidence) for f in from_endpoint]
    assert len(summary) == 6
