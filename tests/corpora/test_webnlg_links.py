"""WebNLG with entity links: names → IRIs and literals, the KB graph, the converter."""

import json

import pytest
from rdflib import SKOS, Graph, Literal, URIRef

from kgx_spacy.corpora import convert
from kgx_spacy.corpora.webnlg_links import (
    entity_iri,
    is_literal,
    label_of,
    read,
    resources,
    write_kb_rdf,
)
from kgx_spacy.kb import build_kb

DBR, DBO = "http://dbpedia.org/resource/", "http://dbpedia.org/ontology/"
XSD = "http://www.w3.org/2001/XMLSchema#"
LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")


@pytest.mark.parametrize("name", [
    '"17R/35L"', "1985", "35.1", "2009-12-18", '"0-439-17684-0"', "−6", "-3.3528",
    "8.3 m", "230 (cubic inches)", "657, 714", "2005-040A", "76131–76229", "2011-Aug-27",
    '"52.0"(minutes)', "<http://www.ghampara.gov.lk/>",
])
def test_literals(name):
    assert is_literal(name)


@pytest.mark.parametrize("name", [
    "Denmark", "Americans", "Eisner_Award", "2014–15_Topklasse", "3XN", "3Arena",
    "1._FC_Köln", "1634:_The_Baltic_War", "United States of America", "Al_Anderson_(NRBQ band)",
])
def test_resources(name):
    assert not is_literal(name)


@pytest.mark.parametrize("name,iri", [
    ("Aarhus_Airport", DBR + "Aarhus_Airport"),
    ("United States of America", DBR + "United_States_of_America"),
    ("2014–15_Topklasse", DBR + "2014–15_Topklasse"),
    ("1._FC_Köln", DBR + "1._FC_Köln"),
    ("Al_Anderson_(NRBQ band)", DBR + "Al_Anderson_(NRBQ_band)"),
    ("Hook_'em_(mascot)", DBR + "Hook_'em_(mascot)"),
    ("College_of_William_&_Mary", DBR + "College_of_William_&_Mary"),
    ('What?_#1 100%"', DBR + "What%3F_%231_100%25%22"),
])
def test_entity_iri(name, iri):
    assert entity_iri(name) == iri


def test_label_of():
    assert label_of("Aarhus_Airport") == "Aarhus Airport"
    assert label_of("Al_Anderson_(NRBQ band)") == "Al Anderson (NRBQ band)"
    assert label_of("Swords,_Dublin") == "Swords, Dublin"


def test_resources_of_triples():
    triples = [
        ["Aarhus_Airport", "location", "Tirstrup"],
        ["Aarhus_Airport", "runwayName", '"10R/28L"'],
        ["Tirstrup", "country", "Denmark"],
        ["Aarhus_Airport", "elevationAboveTheSeaLevel", "25.0"],
    ]
    assert resources(triples) == ["Aarhus_Airport", "Tirstrup", "Denmark"]


def test_kb_rdf_has_the_entry_graph(tmp_path):
    triples = [
        ["Aarhus_Airport", "location", "Tirstrup"],
        ["Aarhus_Airport", "runwayName", '"10R/28L"'],
        ["Aarhus_Airport", "elevationAboveTheSeaLevel", "25.0"],
        ["Aarhus_Airport", "runwayLength", "2776.5"],
        ["Tirstrup", "foundingDate", "1985-02-30"],
        ["Tirstrup", "established", "2009-12-18"],
        ["Tirstrup", "associatedBand/associatedMusicalArtist", "Al_Anderson_(NRBQ band)"],
        ["Tirstrup", "location", "Tirstrup"],
        ["Aarhus_Airport", "location", "Tirstrup"],  # said twice, written once
    ]
    path = tmp_path / "kb" / "webnlg.nt"
    assert write_kb_rdf(triples, path) == 12
    graph = Graph().parse(path, format="nt")
    airport, tirstrup = URIRef(DBR + "Aarhus_Airport"), URIRef(DBR + "Tirstrup")
    anderson = URIRef(DBR + "Al_Anderson_(NRBQ_band)")
    integer, decimal, date = (URIRef(XSD + t) for t in ("integer", "decimal", "date"))
    assert set(graph) == {
        (airport, URIRef(DBO + "location"), tirstrup),
        (airport, URIRef(DBO + "runwayName"), Literal("10R/28L")),
        (airport, URIRef(DBO + "elevationAboveTheSeaLevel"), Literal("25", datatype=integer)),
        (airport, URIRef(DBO + "runwayLength"), Literal("2776.5", datatype=decimal)),
        (tirstrup, URIRef(DBO + "foundingDate"), Literal("1985-02-30")),  # no such day
        (tirstrup, URIRef(DBO + "established"), Literal("2009-12-18", datatype=date)),
        (tirstrup, URIRef(DBO + "associatedBand%2FassociatedMusicalArtist"), anderson),
        (tirstrup, URIRef(DBO + "location"), tirstrup),
        (airport, LABEL, Literal("Aarhus Airport", lang="en")),
        (tirstrup, LABEL, Literal("Tirstrup", lang="en")),
        (anderson, LABEL, Literal("Al Anderson (NRBQ band)", lang="en")),
        (anderson, SKOS.altLabel, Literal("Al Anderson", lang="en")),  # its shorter name
    }
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)  # the same triples give the same file


def test_kb_built_from_the_rdf_finds_the_entities(tiny_data, tmp_path):
    docs, _ = read("test", tiny_data)
    write_kb_rdf(docs, tmp_path / "webnlg.nt")
    kb = build_kb([tmp_path / "webnlg.nt"])
    assert kb.candidates("Swords, Dublin")[0].iri == DBR + "Swords,_Dublin"
    assert kb.candidates("ciudad ayala")[0].iri == DBR + "Ciudad_Ayala"
    assert len(kb) == 3  # Trane, Swords, Dublin and Ciudad Ayala: no literal is an entity


def test_converter_aligns_and_links_the_resources(tiny_data):
    docs, report = read("test", tiny_data)
    assert [d._.kgx_doc_id for d in docs] == ["webnlg/test/Id1/1", "webnlg/test/Id2/1"]
    assert [(e.text, e.label_, e.kb_id_) for e in docs[0].ents] == [
        ("Trane", "ENT", DBR + "Trane"),
        ("Swords, Dublin", "ENT", DBR + "Swords,_Dublin"),
    ]
    assert docs[0]._.kgx_links == [
        {"start": 3, "end": 4, "iri": DBR + "Trane", "score": 1.0, "nil": False},
        {"start": 5, "end": 8, "iri": DBR + "Swords,_Dublin", "score": 1.0, "nil": False},
    ]
    assert [(e.text, e.kb_id_) for e in docs[1].ents] == [("Ciudad Ayala", DBR + "Ciudad_Ayala")]
    assert docs[1]._.kgx_gold_triples == [
        ["Ciudad_Ayala", "leaderTitle", '"City Manager"'],
        ["Ciudad_Ayala", "populationMetro", "1777539"],
    ]
    assert (report.docs, report.resources, report.aligned, report.entities) == (2, 3, 3, 3)
    assert report.match_kinds == {"exact": 3}
    assert "aligned 3 of 3 entities (100.0%)" in report.summary()


def test_unaligned_entities_lower_the_coverage(tiny_data):
    path = tiny_data / "webnlg_2020_v3.0_en" / "test"
    path /= "semantic-parsing-test-data-with-refs-en.xml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("The location of Trane is", "It is in"), encoding="utf-8")
    _, report = read("test", tiny_data)
    assert (report.resources, report.aligned) == (3, 2)
    assert report.to_dict()["coverage"] == pytest.approx(0.6667)


def test_real_dev_coverage(data_dir, tmp_path):
    """Measured: 97.3% of the 14,573 dev entities aligned (85.9% exact, 9.3% variant,
    2.1% fuzzy)."""
    (report,) = convert("webnlg-links", tmp_path, ["dev"], data_dir)
    saved = json.loads((tmp_path / "dev.report.json").read_text(encoding="utf-8"))
    assert saved["coverage"] == round(report.coverage, 4) > 0.96
    assert saved["resources"] == report.resources > 14_000
    assert report.match_kinds["exact"] > 0.8 * report.resources
    assert report.match_kinds["fuzzy"] < 0.05 * report.resources
    assert report.entities == report.links == report.aligned
