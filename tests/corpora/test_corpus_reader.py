"""``kgx.Corpus.v1`` through spaCy's registry: Examples that keep the gold user data."""

import spacy
from spacy.util import registry

from kgx_spacy.corpora import convert


def resolve_reader(path, **settings):
    config = {"corpus": {"@readers": "kgx.Corpus.v1", "path": str(path), **settings}}
    return registry.resolve(config)["corpus"]


def test_reader_keeps_gold_on_the_reference(tiny_data, tmp_path):
    convert("knowledgenet", tmp_path, ["test"], tiny_data)
    nlp = spacy.blank("en")
    examples = list(resolve_reader(tmp_path / "test.spacy")(nlp))
    assert len(examples) == 2
    eg = examples[0]
    assert [t.text for t in eg.predicted] == [t.text for t in eg.reference]
    assert eg.predicted.text == eg.reference.text
    assert not eg.predicted.ents
    assert eg.predicted._.kgx_doc_id == eg.reference._.kgx_doc_id == "knowledgenet/test/7:100:175"
    ref = eg.reference
    assert [e.kb_id_ for e in ref.ents][0] == "http://www.wikidata.org/entity/Q7259"
    assert len(ref._.kgx_relations) == 2 and len(ref._.kgx_attributes) == 1
    assert len(ref._.kgx_links) == 1
    assert not eg.predicted._.kgx_relations


def test_reader_gold_entities_limit_and_max_length(tiny_data, tmp_path):
    convert("conll04", tmp_path, ["test"], tiny_data)
    nlp = spacy.blank("en")
    reader = resolve_reader(tmp_path, gold_entities=True, shuffle=True)
    examples = sorted(reader(nlp), key=lambda eg: eg.reference._.kgx_doc_id)
    assert len(examples) == 2
    predicted, reference = examples[0].predicted, examples[0].reference
    assert [(e.start, e.end, e.label_) for e in predicted.ents] == [
        (e.start, e.end, e.label_) for e in reference.ents
    ]
    assert len(list(resolve_reader(tmp_path, limit=1)(nlp))) == 1
    (short,) = resolve_reader(tmp_path, max_length=5)(nlp)
    assert short.reference._.kgx_doc_id == "conll04/test/1"
