"""Distant supervision: facts of a KG aligned to a text become gold entities, relations and
attributes; ``kgx distant-label`` does it for texts and an RDF file."""

import json

import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from kgx_spacy.cli import app
from kgx_spacy.corpora.webnlg_distant import facts as webnlg_facts
from kgx_spacy.extensions import install_extensions
from kgx_spacy.literals import literal_kind
from kgx_spacy.supervision.distant import (
    DistantLabeler,
    DistantReport,
    Fact,
    date_span,
    number_span,
)

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def nlp():
    install_extensions()
    return spacy.blank("en")


def _readable(doc):
    ents = [(e.text, e.kb_id_) for e in doc.ents]
    relations = sorted((doc[slice(*r["head"])].text, r["label"], doc[slice(*r["tail"])].text) for r in doc._.kgx_relations)
    attributes = sorted(
        (doc[slice(*a["entity"])].text, a["attribute"], doc[slice(*a["value"])].text, a["lexical"], a["datatype"])
        for a in doc._.kgx_attributes
    )
    return ents, relations, attributes


def test_facts_become_entities_relations_and_attributes(nlp):
    doc = nlp("Ada Lovelace was born on 10 December 1815 in London, home to 8,799,800 people.")
    facts = [
        Fact(EX + "Ada", "birthDate", "1815-12-10", True, "date"),
        Fact(EX + "Ada", "birthPlace", EX + "London"),
        Fact(EX + "London", "populationTotal", "8799800", True, "number"),
        Fact(EX + "Ada", "nickname", "The Enchantress of Numbers", True, "string"),  # not in the text
        Fact(EX + "Ada", "spouse", EX + "William"),  # not in the text
    ]
    labels = {EX + "Ada": ["Ada Lovelace"], EX + "London": ["London"], EX + "William": ["William King"]}
    report = DistantReport("test", "test", [])
    DistantLabeler()(doc, facts, labels, report)
    ents, relations, attributes = _readable(doc)
    assert ents == [("Ada Lovelace", EX + "Ada"), ("London", EX + "London")]
    assert relations == [("Ada Lovelace", "birthPlace", "London")]
    assert attributes == [
        ("Ada Lovelace", "birthDate", "10 December 1815", "1815-12-10", XSD + "date"),
        ("London", "populationTotal", "8,799,800", "8799800", XSD + "integer"),
    ]
    assert (report.facts, report.aligned_facts) == (5, 3)
    assert (report.kg_entities, report.aligned_kg_entities) == (3, 2)
    assert (report.literals, report.aligned_literals) == (3, 2)
    assert report.majority_kinds() == {"birthDate": "date", "populationTotal": "number"}


def test_values_align_by_value_not_by_spelling(nlp):
    doc = nlp("Its runway is 2,776.0 metres long; it opened on May 12th, 1985 and serves 1.2 million people "
              "on 30,843.8 square meters.")
    free = [False] * len(doc)
    assert doc[slice(*number_span(doc, "2776", free))].text == "2,776.0"
    assert doc[slice(*number_span(doc, "2776.0 (metres)", free))].text == "2,776.0 metres"
    assert doc[slice(*number_span(doc, "1200000", free))].text == "1.2 million"
    assert doc[slice(*number_span(doc, "30843.8 (square metres)", free))].text == "30,843.8 square meters"
    assert doc[slice(*date_span(doc, "1985-05-12", free))].text == "May 12th, 1985"
    assert number_span(doc, "2777", free) is None
    assert date_span(doc, "1985-05-13", free) is None
    taken = [True] * len(doc)
    assert number_span(doc, "2776", taken) is None and date_span(doc, "1985-05-12", taken) is None


@pytest.mark.parametrize(
    "lexical,datatype,kind",
    [("1985-05-12", XSD + "date", "date"), ("2776.0", XSD + "decimal", "number"), ("8.3 m", None, "quantity"),
     ("5.3 (litres)", None, "quantity"), ("1080-6377", None, "string"), ("Aarhus, Denmark", None, "string")],
)
def test_literal_kind(lexical, datatype, kind):
    assert literal_kind(lexical, datatype) == kind


def test_webnlg_triples_become_facts():
    found, labels = webnlg_facts(
        [["Aarhus_Airport", "cityServed", '"Aarhus, Denmark"'], ["Aarhus_Airport", "runwayLength", "2776.0"],
         ["Bananaman", "firstAired", '"1983-10-03"'], ["Aarhus_Airport", "operatingOrganisation", "Aktieselskab"]]
    )
    dbr = "http://dbpedia.org/resource/"
    assert [(f.predicate, f.literal, f.kind) for f in found] == [
        ("cityServed", True, "string"), ("runwayLength", True, "number"), ("firstAired", True, "date"),
        ("operatingOrganisation", False, None),
    ]
    assert labels[dbr + "Aarhus_Airport"] == ["Aarhus Airport"]


GRAPH = """
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:Paris rdfs:label "Paris"@en ; ex:country ex:France ; ex:population 2102650 .
ex:ParisTexas rdfs:label "Paris"@en ; ex:country ex:USA .
ex:France rdfs:label "France"@en .
ex:USA rdfs:label "United States"@en .
ex:Curie rdfs:label "Marie Curie"@en ; ex:birthDate "1867-11-07"^^xsd:date ; ex:livedIn ex:Paris ;
    rdfs:label "Maria Skłodowska"@pl .
"""


def test_distant_label_command(tmp_path):
    kg = tmp_path / "kg.ttl"
    kg.write_text(GRAPH, encoding="utf-8")
    texts = tmp_path / "texts.jsonl"
    rows = [
        {"id": "a", "text": "Marie Curie, born on 7 November 1867, lived in Paris, the capital of France."},
        {"id": "b", "text": "Paris has 2,102,650 inhabitants."},
        {"id": "c", "text": "Nothing here is in the graph."},
    ]
    texts.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["distant-label", str(texts), "--kg", str(kg), "-o", str(out), "--dev-fraction", "0", "--label-lang", "en"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["documents"] == {"train": 1, "dev": 0}
    assert report["dropped"] == {"docs.no_fact": 2}
    assert report["properties"]["livedIn"] == EX + "livedIn"
    assert report["attribute_value_kinds"] == {"birthDate": "date"}
    docs = {d._.kgx_doc_id: d for d in DocBin().from_disk(out / "train.spacy").get_docs(spacy.blank("en").vocab)}
    ents, relations, attributes = _readable(docs["a"])
    # "Paris" is ambiguous; Paris, France is the one with a fact about a named entity (France).
    assert ents == [("Marie Curie", EX + "Curie"), ("Paris", EX + "Paris"), ("France", EX + "France")]
    assert relations == [("Marie Curie", "livedIn", "Paris"), ("Paris", "country", "France")]
    assert attributes == [("Marie Curie", "birthDate", "7 November 1867", "1867-11-07", XSD + "date")]
    # Alone, "Paris" is ambiguous and unrelated to anything named: no entity, no fact.
    assert "b" not in docs


def test_distant_label_bad_graph_names_file_and_line(tmp_path):
    kg = tmp_path / "kg.ttl"
    kg.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "unterminated .\n', encoding="utf-8")
    texts = tmp_path / "t.txt"
    texts.write_text("Some text.", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["distant-label", str(texts), "--kg", str(kg), "-o", str(out)])
    assert result.exit_code == 2
    assert "kg.ttl" in result.output and "line 2" in result.output
    assert not out.exists()


def test_webnlg_distant_converter(tiny_data):
    from kgx_spacy.corpora import webnlg_distant

    docs, report = webnlg_distant.read("test", tiny_data)
    ents, relations, attributes = _readable(docs[0])
    dbr = "http://dbpedia.org/resource/"
    assert ents == [("Trane", dbr + "Trane"), ("Swords, Dublin", dbr + "Swords,_Dublin")]
    assert relations == [("Trane", "location", "Swords, Dublin")]
    ents, relations, attributes = _readable(docs[1])
    assert ents == [("Ciudad Ayala", dbr + "Ciudad_Ayala")]
    assert attributes == [
        ("Ciudad Ayala", "leaderTitle", "City Manager", "City Manager", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"),
        ("Ciudad Ayala", "populationMetro", "1777539", "1777539", XSD + "integer"),
    ]
    assert (report.facts, report.aligned_facts, report.literals, report.aligned_literals) == (3, 3, 2, 2)
    assert report.match_kinds == {"exact": 4, "value": 1}
