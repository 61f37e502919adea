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
from kgx_spacy.kb.build import DEFAULT_LABEL_PREDICATES, read_quads
from kgx_spacy.literals import literal_kind
from kgx_spacy.supervision.distant import (
    AMBIGUOUS_LABEL,
    DIFFERENT_SENTENCES,
    NEITHER_FOUND,
    OBJECT_NOT_FOUND,
    SAME_SPAN,
    SUBJECT_NOT_FOUND,
    TOO_FAR_APART,
    DistantLabeler,
    DistantReport,
    Fact,
    GraphFacts,
    date_span,
    label_texts,
    number_span,
    parse_window,
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
    assert report.missed == {OBJECT_NOT_FOUND: 2}
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
    # a: Paris's population is not in the text. b: "Paris" alone is ambiguous: its
    # population is looked for but blocked by the ambiguity; the facts of both Parises with
    # an object not named (France, the United States) are counted by that end. Marie
    # Curie's fact about Paris is not looked for in b: the text does not name her.
    assert (report["facts"], report["aligned_facts"], report["unoffered_facts"]) == (4, 3, 3)
    assert {k: v for k, v in report["missed"].items() if v} == {OBJECT_NOT_FOUND: 3, AMBIGUOUS_LABEL: 1}
    assert sum(report["missed"].values()) == report["facts"] + report["unoffered_facts"] - report["aligned_facts"]
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


# Ada and London in one sentence, three tokens apart; Byron in the next sentence.
SENTENCES = "Ada Lovelace was born in London. Her father was Lord Byron."
PEOPLE = {EX + "Ada": ["Ada Lovelace"], EX + "London": ["London"], EX + "Byron": ["Lord Byron"],
          EX + "William": ["William King"], EX + "Charles": ["Charles Babbage"], EX + "RS": ["Royal Society"]}
REASON_FACTS = [
    Fact(EX + "Ada", "birthPlace", EX + "London"),  # found (within 3 tokens)
    Fact(EX + "Ada", "father", EX + "Byron"),  # found, across a sentence boundary
    Fact(EX + "Ada", "spouse", EX + "William"),
    Fact(EX + "Charles", "friend", EX + "Ada"),
    Fact(EX + "Charles", "memberOf", EX + "RS"),
    Fact(EX + "Ada", "sameAs", EX + "Ada"),
    Fact(EX + "Ada", "birthYear", "1815", True, "number"),
]


@pytest.mark.parametrize(
    "window,found,apart",
    [
        ("doc", {"birthPlace", "father"}, {}),
        ("sentence", {"birthPlace"}, {DIFFERENT_SENTENCES: 1}),
        (3, {"birthPlace"}, {TOO_FAR_APART: 1}),
        (2, set(), {TOO_FAR_APART: 2}),
    ],
)
def test_facts_not_found_are_counted_by_reason(nlp, window, found, apart):
    sentencizer = spacy.blank("en")
    sentencizer.add_pipe("sentencizer")
    doc = sentencizer(SENTENCES)
    report = DistantReport("test", "test", [])
    DistantLabeler(window=window)(doc, REASON_FACTS, PEOPLE, report)
    assert {r["label"] for r in doc._.kgx_relations} == found
    assert report.missed == {
        OBJECT_NOT_FOUND: 2, SUBJECT_NOT_FOUND: 1, NEITHER_FOUND: 1, SAME_SPAN: 1, **apart,
    }
    assert sum(report.missed.values()) == report.facts - report.aligned_facts
    # The entities stay gold even when a fact between them is out of the window.
    assert [e.text for e in doc.ents] == ["Ada Lovelace", "London", "Lord Byron"]
    assert "not found" in report.summary() and "same_span 1" in report.summary()


@pytest.mark.parametrize("window,head", [("sentence", "Lovelace"), (3, "Lovelace"), ("doc", "Ada Lovelace"), (2, None)])
def test_window_uses_another_mention_near_enough(window, head):
    # Ada's aligned span is her full name, in the first sentence; "Lovelace" in the second
    # sentence is near London, so the fact is stated there.
    sentencizer = spacy.blank("en")
    sentencizer.add_pipe("sentencizer")
    doc = sentencizer("Ada Lovelace wrote the first program. Lovelace was born in London.")
    labels = {EX + "Ada": ["Ada Lovelace", "Lovelace"], EX + "London": ["London"]}
    report = DistantReport("test", "test", [])
    DistantLabeler(window=window)(doc, [Fact(EX + "Ada", "birthPlace", EX + "London")], labels, report)
    ents, relations, _ = _readable(doc)
    assert relations == ([(head, "birthPlace", "London")] if head else [])
    expected = ["Ada Lovelace", "London"] if head != "Lovelace" else ["Ada Lovelace", "Lovelace", "London"]
    assert [text for text, _ in ents] == expected
    assert all(iri for _, iri in ents)
    assert report.missed == ({} if head else {TOO_FAR_APART: 1})


def test_sentence_window_needs_sentence_boundaries(nlp):
    with pytest.raises(ValueError, match="sentencizer"):
        DistantLabeler(window="sentence")(nlp(SENTENCES), REASON_FACTS, PEOPLE, DistantReport("t", "t", []))


@pytest.mark.parametrize("text,window", [("doc", "doc"), (" Sentence", "sentence"), ("5", 5), ("0", 0), (7, 7)])
def test_parse_window(text, window):
    assert parse_window(text) == window


@pytest.mark.parametrize("text", ["-1", "far", "2.5", 2.5, True])
def test_parse_window_rejects(text):
    with pytest.raises(ValueError, match="window"):
        parse_window(text)


TWINS = """
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:ParisFR rdfs:label "Paris" ; ex:twin ex:SpringfieldIL ; ex:population 2102650 ; ex:mayor ex:Hidalgo .
ex:ParisTX rdfs:label "Paris" ; ex:twin ex:SpringfieldMA .
ex:SpringfieldIL rdfs:label "Springfield" .
ex:SpringfieldMA rdfs:label "Springfield" .
ex:Hidalgo rdfs:label "Anne Hidalgo" .
ex:Seine rdfs:label "Seine" ; ex:flowsThrough ex:ParisFR .
"""


def test_ambiguous_labels_are_counted_when_only_they_keep_a_fact_out(tmp_path, nlp):
    kg = tmp_path / "twins.ttl"
    kg.write_text(TWINS, encoding="utf-8")
    graph = GraphFacts(read_quads(kg), DEFAULT_LABEL_PREDICATES)
    # Both names are shared and nothing named resolves them: every end of the twin facts and
    # of the population is named, only ambiguously; Anne Hidalgo is not named (the mayor
    # fact misses its object), nor the Seine (its fact is not looked for).
    names = graph.names(nlp("Paris is twinned with Springfield and has 2,102,650 inhabitants."))
    assert names.mentioned == []
    assert names.ambiguous == sorted(EX + e for e in ("ParisFR", "ParisTX", "SpringfieldIL", "SpringfieldMA"))
    assert graph.unoffered(names) == {AMBIGUOUS_LABEL: 3, OBJECT_NOT_FOUND: 1}
    # Anne Hidalgo resolves "Paris" to Paris, France: the twin fact is still blocked by
    # "Springfield"; Paris, Texas is not named any more, and its fact is not looked for.
    names = graph.names(nlp("Anne Hidalgo, mayor of Paris, visited Springfield."))
    assert names.mentioned == [EX + "Hidalgo", EX + "ParisFR"]
    assert names.ambiguous == [EX + "SpringfieldIL", EX + "SpringfieldMA"]
    assert [f.predicate for f in graph.facts_between(names.mentioned)] == ["population", "mayor"]
    assert graph.unoffered(names) == {AMBIGUOUS_LABEL: 1}


def test_distant_label_sentence_window(tmp_path):
    kg = tmp_path / "kg.ttl"
    kg.write_text(GRAPH, encoding="utf-8")
    texts = tmp_path / "texts.jsonl"
    texts.write_text(json.dumps({"id": "a", "text": "Marie Curie was a physicist. She lived in Paris, France."}) + "\n")
    reports = {}
    for window in ("doc", "sentence"):
        reports[window] = label_texts([texts], [kg], tmp_path / window, dev_fraction=0, label_lang=["en"], window=window)
        docs = list(DocBin().from_disk(tmp_path / window / "train.spacy").get_docs(spacy.blank("en").vocab))
        relations = sorted((docs[0][slice(*r["head"])].text, r["label"]) for r in docs[0]._.kgx_relations)
        if window == "doc":  # the fact split over two sentences is kept by default
            assert relations == [("Marie Curie", "livedIn"), ("Paris", "country")]
        else:
            assert relations == [("Paris", "country")]
    assert reports["doc"].missed[DIFFERENT_SENTENCES] == 0
    assert reports["sentence"].missed[DIFFERENT_SENTENCES] == 1
    assert reports["sentence"].facts == reports["doc"].facts  # the window changes what is found, not what is looked for
    report = json.loads((tmp_path / "sentence" / "report.json").read_text())
    assert report["missed"][DIFFERENT_SENTENCES] == 1
    result = CliRunner().invoke(
        app, ["distant-label", str(texts), "--kg", str(kg), "-o", str(tmp_path / "cli"), "--window", "sentence"]
    )
    assert result.exit_code == 0, result.output
    assert "different_sentences 1" in result.output
    result = CliRunner().invoke(app, ["distant-label", str(texts), "--kg", str(kg), "-o", str(tmp_path / "x"), "--window", "far"])
    assert result.exit_code == 2 and "window" in result.output
