"""The Doc contract: installing twice changes nothing; records survive DocBin intact."""

import spacy
from spacy.tokens import Doc, DocBin, Span

from kgx_spacy.extensions import ENTITIES_SPANS_KEY, install_extensions


def test_install_is_idempotent():
    install_extensions()
    before = {name: Doc.get_extension(name) for name in ("kgx_relations", "kgx_attributes", "kgx_links", "kgx_doc_id", "rdf")}
    install_extensions()
    assert before == {name: Doc.get_extension(name) for name in before}


def test_records_are_per_doc_and_survive_docbin():
    nlp = spacy.blank("en")
    doc = nlp("Ada Lovelace was born in London in 1815 .")
    other = nlp("nothing")
    doc.ents = [Span(doc, 0, 2, "PER", kb_id="http://www.wikidata.org/entity/Q7259"), Span(doc, 5, 6, "LOC")]
    doc.spans[ENTITIES_SPANS_KEY] = list(doc.ents)
    doc.spans[ENTITIES_SPANS_KEY].attrs["scores"] = [0.9, 0.8]
    doc._.kgx_relations.append({"head": [0, 2], "tail": [5, 6], "label": "born_in", "score": 0.7})
    doc._.kgx_attributes = [{"entity": [0, 2], "value": [7, 8], "attribute": "birth", "score": 1.0, "lexical": "1815", "datatype": "http://www.w3.org/2001/XMLSchema#gYear"}]
    doc._.kgx_links = [{"start": 0, "end": 2, "iri": "http://www.wikidata.org/entity/Q7259", "score": 0.99, "nil": False}]
    doc._.kgx_doc_id = "doc/1"
    doc._.kgx_gold_triples = [["Ada_Lovelace", "birthPlace", "London"]]
    assert other._.kgx_relations == []  # no shared mutable default
    binary = DocBin(store_user_data=True, docs=[doc]).to_bytes()
    loaded = next(DocBin().from_bytes(binary).get_docs(nlp.vocab))
    for name in ("kgx_relations", "kgx_attributes", "kgx_links", "kgx_doc_id", "kgx_gold_triples"):
        assert getattr(loaded._, name) == getattr(doc._, name), name
    assert loaded._.kgx_relations[0]["head"] == [0, 2]  # lists again, not msgpack's tuples
    assert [(e.text, e.kb_id_) for e in loaded.ents] == [(e.text, e.kb_id_) for e in doc.ents]
    assert loaded.spans[ENTITIES_SPANS_KEY].attrs["scores"] == [0.9, 0.8]
