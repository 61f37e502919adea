"""kgx_attribute_tagger: overfit, save/load, batch vs single, no entities, Chinese, ns.RDF."""

import numpy
import pytest
import spacy
from rdflib import Literal, URIRef
from rdflib import namespace as ns
from spacy.tokens import Span
from spacy.training import Example
from spacy.util import fix_random_seed

from kgx_spacy.attributes.component import attribute_score

# text, entities (mention, label), attributes (entity index, value as written, attribute)
TRAIN_DATA = [
    ("john smith was born on december 23 , 1943 in paris .", [("john smith", "PER"), ("paris", "LOC")], [(0, "december 23 , 1943", "birth_date")]),
    ("acme corp was founded in 1990 .", [("acme corp", "ORG")], [(0, "1990", "founded")]),
    ("mary jones , born 1968 , died in 2001 .", [("mary jones", "PER")], [(0, "1968", "birth_date"), (0, "2001", "death_date")]),
]
KINDS = {"birth_date": "date", "death_date": "date", "founded": "date"}


def make_reference(nlp, text, ents, attrs):
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(text.index(m), text.index(m) + len(m), label=label) for m, label in ents]
    spans = list(doc.ents)
    records = []
    for entity, written, attribute in attrs:
        value = doc.char_span(text.index(written), text.index(written) + len(written))
        records.append({
            "entity": [spans[entity].start, spans[entity].end], "value": [value.start, value.end],
            "attribute": attribute, "score": 1.0, "lexical": "", "datatype": None,
        })
    doc._.kgx_attributes = records
    return doc


def add_ruler(nlp):
    ruler = nlp.add_pipe("entity_ruler", first=True)
    ruler.add_patterns([{"label": label, "pattern": m} for _, ents, _ in TRAIN_DATA for m, label in ents])


def keys(doc):
    return sorted((doc[a["entity"][0]:a["entity"][1]].text, a["attribute"], a["lexical"], a["datatype"]) for a in doc._.kgx_attributes)


@pytest.fixture(scope="module")
def trained(blank_with_transformer):
    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_attribute_tagger", config={"value_kinds": KINDS, "model": {"hidden_width": 32}})
    examples = [Example(nlp.make_doc(t), make_reference(nlp, t, e, a)) for t, e, a in TRAIN_DATA]
    optimizer = nlp.initialize(get_examples=lambda: examples)
    optimizer.learn_rate = 2e-3
    for _ in range(150):
        nlp.update(examples, sgd=optimizer)
    add_ruler(nlp)
    return nlp


def test_overfit_then_predict_normalised(trained):
    doc = trained(TRAIN_DATA[0][0])
    assert keys(doc) == [("john smith", "birth_date", "1943-12-23", str(ns.XSD.date))]
    doc = trained(TRAIN_DATA[2][0])
    assert keys(doc) == [("mary jones", "birth_date", "1968", str(ns.XSD.gYear)), ("mary jones", "death_date", "2001", str(ns.XSD.gYear))]
    assert [s.text for s in doc.spans["kgx_values"]] == ["1968", "2001"]
    gold = []
    for text, ents, attrs in TRAIN_DATA:
        reference = trained(text)  # predictions as the reference: a perfect score
        gold.append(Example(trained(text), reference))
    assert attribute_score(gold)["attr_f"] == 1.0


def test_save_load_identical(trained, tmp_path):
    texts = [t for t, _, _ in TRAIN_DATA]
    trained.to_disk(tmp_path / "nlp")
    loaded = spacy.load(tmp_path / "nlp")
    for a, b in zip(trained.pipe(texts), loaded.pipe(texts)):
        assert keys(a) == keys(b)
        assert numpy.allclose([r["score"] for r in a._.kgx_attributes], [r["score"] for r in b._.kgx_attributes], atol=1e-6)


def test_batch_equals_single(trained):
    texts = [t for t, _, _ in TRAIN_DATA] * 2 + ["", "   "]
    assert [keys(d) for d in trained.pipe(texts, batch_size=8)] == [keys(trained(t)) for t in texts]


def test_no_entities_no_attributes(trained):
    assert trained("it was founded in 1990 .")._.kgx_attributes == []


def test_chinese_values(blank_with_transformer):
    fix_random_seed(0)  # one example: the outcome must not hang on earlier tests' draws (200 steps: passes for seeds 0-2)
    nlp = blank_with_transformer(lang="zh")
    nlp.add_pipe("kgx_attribute_tagger", config={"value_kinds": {"身高": "quantity"}, "model": {"hidden_width": 16}})
    text = "张冬梅身高1.80米"
    reference = nlp.make_doc(text)
    reference.ents = [Span(reference, 0, 3, "PER")]
    reference._.kgx_attributes = [{"entity": [0, 3], "value": [5, 10], "attribute": "身高", "score": 1.0, "lexical": "", "datatype": None}]
    examples = [Example(nlp.make_doc(text), reference)]
    optimizer = nlp.initialize(get_examples=lambda: examples)
    optimizer.learn_rate = 1e-2
    for _ in range(200):
        nlp.update(examples, sgd=optimizer)
    doc = nlp.make_doc(text)
    doc.ents = [Span(doc, 0, 3, "PER")]
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    assert [(a["attribute"], a["lexical"], a["datatype"]) for a in doc._.kgx_attributes] == [("身高", "1.80 m", "https://w3id.org/cdt/ucum")]


def test_rdf_literal(trained):
    trained.add_pipe("kgx_rdf")  # doc._.rdf belongs to kgx_rdf
    try:
        doc = trained(TRAIN_DATA[1][0])
    finally:
        trained.remove_pipe("kgx_rdf")
    doc._.kgx_doc_id = "d"
    graph = doc._.rdf.graph(URIRef("http://example.org/kgx/document/d"))
    assert (URIRef("http://example.org/kgx/entity/ORG/acme%20corp"), URIRef("http://example.org/kgx/attribute/founded"), Literal("1990", datatype=ns.XSD.gYear)) in graph


def test_a_value_goes_to_its_most_probable_entity(trained):
    """Two entities both above the threshold for one value: only the more probable one takes it."""
    pipe = trained.get_pipe("kgx_attribute_tagger")
    doc = trained.make_doc("john smith and mary jones , born 1968 .")
    john, mary = Span(doc, 0, 2, "PER"), Span(doc, 3, 5, "PER")
    doc.ents = [john, mary]
    k = pipe.labels.index("birth_date")
    value = (7, 8, k, 0.9)
    probs = numpy.zeros((2, len(pipe.labels)), dtype="float32")
    probs[:, k] = [0.6, 0.8]
    pipe.set_annotations([doc], [([value], [(john, doc[7:8]), (mary, doc[7:8])], probs)])
    assert [(a["entity"], a["attribute"], a["score"]) for a in doc._.kgx_attributes] == [([3, 5], "birth_date", pytest.approx(0.8))]


def test_an_untrained_tagger_with_an_outside_prior_finds_few_values(blank_with_transformer):
    texts = [t for t, _, _ in TRAIN_DATA]

    def untrained_values(prior):
        fix_random_seed(0)
        nlp = blank_with_transformer()
        nlp.add_pipe("kgx_attribute_tagger", config={"model": {"hidden_width": 16, "outside_prior": prior}})
        examples = [Example(nlp.make_doc(t), make_reference(nlp, t, e, a)) for t, e, a in TRAIN_DATA]
        nlp.initialize(get_examples=lambda: examples)
        return sum(len(doc.spans["kgx_values"]) for doc in nlp.pipe(texts))

    assert untrained_values(None) > 5
    assert untrained_values(0.99) == 0
