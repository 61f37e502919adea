"""Property tests: hostile text and labels round-trip exactly through every format and store."""

import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from rdf_helpers import (
    assert_same_dataset,
    expected_dataset,
    make_doc,
    server_count,
    server_dataset,
    store_dataset,
    union_graph,
)
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kgx_spacy.extensions import ENTITIES_SPANS_KEY
from kgx_spacy.rdf.mapping import RDFMapping
from kgx_spacy.rdf.serialize import FORMATS, write_file
from kgx_spacy.rdf.sparql import SparqlEndpoint, write_endpoint
from kgx_spacy.rdf.store import write_store

XSD = "http://www.w3.org/2001/XMLSchema#"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
FRAGMENTS = [
    '"', "'", '"""', "{", "}", "<", ">", "\n", "\r", "\r\n", "\t", "\\", '\\"', "\\u0041",
    "} ; DROP ALL ; INSERT DATA {", "SELECT * WHERE { ?s ?p ?o }", "GRAPH", "#", "%20", "_",
    "שלום", "مرحبا", "\u200f", "😀", "👩\u200d👩\u200d👧", "e\u0301", "\x00", "\x7f",
    " ",
]
CHARS = st.characters(exclude_categories=("Cs",))  # any code point UTF-8 can carry
piece = st.one_of(st.sampled_from(FRAGMENTS), st.text(CHARS, min_size=1, max_size=4))
word = st.lists(piece, min_size=1, max_size=3).map("".join)
label = st.one_of(
    st.sampled_from(["Peop", "Work For", "born in", "a_b", "a b", "} ; DROP ALL ;", "<x>"]),
    st.text(CHARS, min_size=1, max_size=8),
)
score = st.floats(min_value=0.0, max_value=1.0)
literal = st.one_of(
    st.tuples(st.none() | st.lists(piece, max_size=4).map("".join), st.none(), st.none()),
    st.tuples(st.dates().map(str), st.just(XSD + "date"), st.none()),
    st.tuples(st.integers(-(10**12), 10**12).map(str), st.just(XSD + "integer"), st.none()),
    st.tuples(word, st.just(LANG_STRING), st.sampled_from(["en", "he", "ar-eg", "zh-hant"])),
    # the canonical forms kgx_spacy.literals writes (a store keeps them as they are)
    st.sampled_from([
        ("1.5", XSD + "decimal", None), ("-0.25", XSD + "decimal", None),
        ("1999-05", XSD + "gYearMonth", None), ("0800", XSD + "gYear", None),
        ("1.80 m", "https://w3id.org/cdt/ucum", None),
    ]),
)
KB = ["http://www.wikidata.org/entity/Q42", "https://dbpedia.org/resource/São_Paulo", "urn:x:1"]


@st.composite
def documents(draw, index: int):
    words = draw(st.lists(word, min_size=1, max_size=8))
    spaces = draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words)))
    cuts = sorted(draw(st.sets(st.integers(0, len(words)), max_size=6)))
    spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2])]
    ents = [(a, b, draw(label)) for a, b in spans]
    relations, attributes, links = [], [], []
    if spans:
        pick = st.sampled_from(spans)
        for _ in range(draw(st.integers(0, 3))):
            relations.append((draw(pick), draw(pick), draw(label)))
        for _ in range(draw(st.integers(0, 2))):
            lexical, datatype, lang = draw(literal)
            attributes.append(
                {"entity": list(draw(pick)), "value": list(draw(pick)), "attribute": draw(label),
                 "score": draw(score), "lexical": lexical, "datatype": datatype, "lang": lang}
            )
        for start, end in draw(st.lists(pick, max_size=2, unique=True)):
            nil = draw(st.booleans())
            iri = None if nil else draw(st.sampled_from(KB))
            links.append({"start": start, "end": end, "iri": iri, "score": draw(score), "nil": nil})
    doc_id = draw(st.none() if index == 0 else word.map(lambda w: f"{index}:{w}"))
    doc = make_doc(words, ents, [], attributes, links, doc_id=doc_id, spaces=spaces)
    doc._.kgx_relations = [
        {"head": list(h), "tail": list(t), "label": lab, "score": draw(score)}
        for h, t, lab in relations
    ]
    doc.spans[ENTITIES_SPANS_KEY] = list(doc.ents)
    doc.spans[ENTITIES_SPANS_KEY].attrs["scores"] = [draw(score) for _ in doc.ents]
    return doc


corpus = st.integers(1, 3).flatmap(lambda n: st.tuples(*(documents(i) for i in range(n))))
mappings = st.sampled_from([RDFMapping(), RDFMapping.gold(run_id="run \"1\" } ;"), RDFMapping(
    base_iri="https://kg.example/ns#", classes={"Peop": "http://schema.org/Person"}
)])
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RDFLIB_FORMAT = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld"}


@pytest.mark.parametrize("fmt", list(FORMATS))
@PROPERTY
@given(docs=corpus, mapping=mappings)
def test_files_round_trip(fmt, docs, mapping):
    expected = expected_dataset(docs, mapping)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"out.{fmt}"
        write_file(docs, path, fmt, mapping)
        if fmt in ("ttl", "nt"):
            actual = Graph().parse(path, format=RDFLIB_FORMAT[fmt])
            assert isomorphic(actual, union_graph(expected))
        else:
            assert_same_dataset(Dataset().parse(path, format=RDFLIB_FORMAT[fmt]), expected)


@PROPERTY
@given(docs=corpus, mapping=mappings)
def test_embedded_store_round_trips(docs, mapping):
    store = ox.Store()
    write_store(docs, store, mapping, batch_size=2)
    write_store(docs, store, mapping, batch_size=1)  # re-export: same content, same count
    assert_same_dataset(store_dataset(store), expected_dataset(docs, mapping))


@pytest.mark.parametrize("protocol", ["update", "gsp"])
@PROPERTY
@given(docs=corpus, mapping=mappings)
def test_server_round_trips(oxigraph_server, protocol, docs, mapping):
    reader = SparqlEndpoint(f"{oxigraph_server}/query", update_url=f"{oxigraph_server}/update")
    reader.update("DROP ALL")
    path = "/update" if protocol == "update" else "/store"
    writer = SparqlEndpoint(reader.url, update_url=oxigraph_server + path)
    stats = write_endpoint(docs, writer, mapping, protocol, batch_size=2)
    assert server_count(reader) == stats.quads
    assert_same_dataset(server_dataset(reader), expected_dataset(docs, mapping))
