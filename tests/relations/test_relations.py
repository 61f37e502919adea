"""kgx_relation_classifier: overfit, save/load, batch vs single, bounds, odd inputs, RDF."""

import time

import numpy
import pytest
import spacy
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from spacy.tokens import Doc, Span
from spacy.training import Example

from kgx_spacy.relations.candidates import make_entity_pair_candidates
from kgx_spacy.relations.component import relation_score

# text, entities (char start, end, label), relations (head index, tail index, label)
TRAIN_DATA = [
    (
        "john smith works for acme corp in paris .",
        [(0, 10, "PER"), (21, 30, "ORG"), (34, 39, "LOC")],
        [(0, 1, "work_for"), (1, 2, "based_in")],
    ),
    ("mary jones lives in london .", [(0, 10, "PER"), (20, 26, "LOC")], [(0, 1, "live_in")]),
    (
        "the company acme inc is based in berlin .",
        [(12, 20, "ORG"), (33, 39, "LOC")],
        [(0, 1, "based_in")],
    ),
    (
        "mary jones works for acme inc and lives in paris .",
        [(0, 10, "PER"), (21, 29, "ORG"), (43, 48, "LOC")],
        [(0, 1, "work_for"), (0, 2, "live_in")],
    ),
]


def make_reference(nlp, text, ents, rels) -> Doc:
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(s, e, label=label) for s, e, label in ents]
    spans = list(doc.ents)
    doc._.kgx_relations = [
        {"head": [spans[h].start, spans[h].end], "tail": [spans[t].start, spans[t].end], "label": label, "score": 1.0}
        for h, t, label in rels
    ]
    return doc


def make_examples(nlp):
    return [Example(nlp.make_doc(text), make_reference(nlp, text, ents, rels)) for text, ents, rels in TRAIN_DATA]


def add_ruler(nlp):
    """Gold entities at inference come from a rule-based NER, so only relations are tested."""
    ruler = nlp.add_pipe("entity_ruler", first=True)
    patterns = set()
    for text, ents, _ in TRAIN_DATA:
        for s, e, label in ents:
            patterns.add((label, text[s:e]))
    ruler.add_patterns([{"label": label, "pattern": phrase} for label, phrase in sorted(patterns)])


def relation_keys(doc):
    return sorted((doc[h[0]:h[1]].text, doc[t[0]:t[1]].text, r["label"]) for r in doc._.kgx_relations for h, t in [(r["head"], r["tail"])])


def train(blank_with_transformer):
    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_relation_classifier", config={"model": {"hidden_width": 32}})
    examples = make_examples(nlp)
    optimizer = nlp.initialize(get_examples=lambda: examples)
    optimizer.learn_rate = 1e-3
    for _ in range(120):
        nlp.update(examples, sgd=optimizer)
    add_ruler(nlp)
    return nlp, examples


@pytest.fixture(scope="module")
def trained(blank_with_transformer):
    return train(blank_with_transformer)[0]


def test_overfit_then_predict(trained):
    for text, ents, rels in TRAIN_DATA:
        doc = trained(text)
        expected = make_reference(trained, text, ents, rels)
        assert relation_keys(doc) == relation_keys(expected)
        assert all(0.5 <= r["score"] <= 1.0 for r in doc._.kgx_relations)
    scores = trained.evaluate(make_examples(trained))
    assert scores["rel_micro_f"] == 1.0
    assert set(scores["rel_f_per_type"]) == {"work_for", "based_in", "live_in"}


def test_save_load_identical(trained, tmp_path):
    texts = [t for t, _, _ in TRAIN_DATA]
    trained.to_disk(tmp_path / "nlp")
    loaded = spacy.load(tmp_path / "nlp")
    for a, b in zip(trained.pipe(texts), loaded.pipe(texts)):
        assert relation_keys(a) == relation_keys(b)
        assert numpy.allclose([r["score"] for r in a._.kgx_relations], [r["score"] for r in b._.kgx_relations], atol=1e-6)


def test_batch_equals_single(trained):
    texts = [t for t, _, _ in TRAIN_DATA] * 2
    assert [relation_keys(d) for d in trained.pipe(texts, batch_size=8)] == [relation_keys(trained(t)) for t in texts]


def test_type_constraints_rule_out_exactly_the_unseen_signatures(trained, tmp_path):
    pipe = trained.get_pipe("kgx_relation_classifier")
    signatures = {"based_in": [["ORG", "LOC"]], "live_in": [["PER", "LOC"]], "work_for": [["PER", "ORG"]]}
    assert pipe.cfg["signatures"] == signatures
    with trained.select_pipes(enable=["transformer"]):
        doc = trained("john smith works for acme corp in paris .")
    doc.ents = [Span(doc, 0, 2, "PER"), Span(doc, 4, 6, "LOC"), Span(doc, 7, 8, "LOC")]  # acme corp typed LOC
    pairs = pipe.candidates(doc.ents)
    free = pipe.pair_probabilities([doc], [pairs])[0]
    pipe.cfg["constrain_types"] = True
    try:
        constrained = pipe.pair_probabilities([doc], [pairs])[0]
        trained.to_disk(tmp_path / "nlp")
    finally:
        pipe.cfg["constrain_types"] = False
    for i, (head, tail) in enumerate(pairs):
        for k, label in enumerate(pipe.labels):
            seen = [head.label_, tail.label_] in signatures[label]
            assert constrained[i, k] == pytest.approx(free[i, k] if seen else 0.0)
    work_for = pipe.labels.index("work_for")
    smith_acme = next(i for i, (h, t) in enumerate(pairs) if (h.start, t.start) == (0, 4))
    assert free[smith_acme, work_for] > 0.5 and constrained[smith_acme, work_for] == 0.0
    loaded = spacy.load(tmp_path / "nlp").get_pipe("kgx_relation_classifier")
    assert loaded.cfg["constrain_types"] and loaded.cfg["signatures"] == signatures
    assert loaded.label_data["signatures"] == signatures


def test_decision_cap_and_attachment(trained):
    """Labels over threshold, at most max_labels_per_pair per pair; an entity without any
    relation takes its most probable one when it reaches attach_threshold."""
    pipe = trained.get_pipe("kgx_relation_classifier")
    doc = trained.make_doc("john smith works for acme corp in paris .")
    a, b, c = Span(doc, 0, 2, "PER"), Span(doc, 4, 6, "ORG"), Span(doc, 7, 8, "LOC")
    pairs = [(a, b), (b, a), (b, c), (a, c)]
    probs = numpy.zeros((4, len(pipe.labels)), dtype="float32")
    work_for, based_in, live_in = (pipe.labels.index(x) for x in ("work_for", "based_in", "live_in"))
    probs[0, [work_for, based_in]] = 0.9, 0.7  # two labels over 0.5 for (a, b)
    probs[2, based_in] = 0.4  # c's best, under the threshold
    probs[3, live_in] = 0.3
    assert pipe.decide(pairs, probs) == [(0, based_in), (0, work_for)]
    cfg = dict(pipe.cfg)
    try:
        pipe.cfg["max_labels_per_pair"] = 1
        assert pipe.decide(pairs, probs) == [(0, work_for)]
        pipe.cfg["attach_threshold"] = 0.35
        assert pipe.decide(pairs, probs) == [(0, work_for), (2, based_in)]
        pipe.cfg["attach_threshold"] = 0.45  # c's best is under it: c stays alone
        assert pipe.decide(pairs, probs) == [(0, work_for)]
        pipe.cfg["max_labels_per_pair"], pipe.cfg["attach_threshold"] = 0, 0.2
        probs[0] = 0.0  # nobody over threshold: each entity takes its best, once
        assert pipe.decide(pairs, probs) == [(2, based_in), (3, live_in)]
    finally:
        pipe.cfg.clear()
        pipe.cfg.update(cfg)


def test_no_entities_no_relations(trained):
    for text in ["", "the is a .", "nothing here at all"]:
        doc = trained(text)
        assert doc._.kgx_relations == []


def test_candidates_skip_overlapping_and_nested_spans():
    nlp = spacy.blank("en")
    doc = nlp("acme corp paris office in berlin")
    acme, acme_corp, paris_office, berlin = doc[0:1], doc[0:2], doc[2:4], doc[5:6]
    pairs = make_entity_pair_candidates(max_distance=100, max_pairs=100)([acme, acme_corp, paris_office, berlin])
    as_offsets = {((h.start, h.end), (t.start, t.end)) for h, t in pairs}
    assert ((0, 1), (0, 2)) not in as_offsets and ((0, 2), (0, 1)) not in as_offsets
    assert ((0, 2), (2, 4)) in as_offsets and ((2, 4), (0, 2)) in as_offsets
    assert len(pairs) == 2 * 5


def test_many_entities_stay_bounded_and_fast(trained):
    text = " ".join(["john smith works for acme corp in paris ."] * 70)  # 210 entities
    start = time.perf_counter()
    doc = trained(text)
    elapsed = time.perf_counter() - start
    assert len(doc.ents) == 210
    pipe = trained.get_pipe("kgx_relation_classifier")
    assert len(pipe.candidates(doc.ents)) <= 1000
    assert elapsed < 10.0


def test_chinese_text(blank_with_transformer):
    nlp = blank_with_transformer(lang="zh")
    nlp.add_pipe("kgx_relation_classifier", config={"model": {"hidden_width": 16}})
    text = "张冬梅出生于北京"
    reference = nlp.make_doc(text)
    reference.ents = [Span(reference, 0, 3, "PER"), Span(reference, 6, 8, "LOC")]
    reference._.kgx_relations = [{"head": [0, 3], "tail": [6, 8], "label": "出生地", "score": 1.0}]
    examples = [Example(nlp.make_doc(text), reference)]
    optimizer = nlp.initialize(get_examples=lambda: examples)
    optimizer.learn_rate = 1e-2
    for _ in range(60):
        nlp.update(examples, sgd=optimizer)
    doc = nlp.make_doc(text)
    doc.ents = [Span(doc, 0, 3, "PER"), Span(doc, 6, 8, "LOC")]
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    assert [(r["head"], r["tail"], r["label"]) for r in doc._.kgx_relations] == [([0, 3], [6, 8], "出生地")]


def test_strict_scorer_requires_types_and_spans():
    nlp = spacy.blank("en")
    gold = make_reference(nlp, *TRAIN_DATA[0])
    wrong_type = make_reference(nlp, TRAIN_DATA[0][0], [(0, 10, "ORG"), (21, 30, "ORG"), (34, 39, "LOC")], TRAIN_DATA[0][2])
    scores = relation_score([Example(wrong_type, gold)])
    assert scores["rel_micro_p"] == 0.5 and scores["rel_micro_r"] == 0.5


def test_rdf_of_a_small_doc(trained):
    trained.add_pipe("kgx_rdf", config={"base_iri": "http://ex.org/", "properties": {"work_for": "http://schema.org/worksFor"}, "include_text": False})
    try:
        doc = trained("john smith works for acme corp in paris .")
    finally:
        trained.remove_pipe("kgx_rdf")
    doc._.kgx_doc_id = "d1"
    g = Graph()
    for s, p, o in doc._.rdf.graph(URIRef("http://ex.org/document/d1")):
        if not str(s).startswith("http://ex.org/document/"):
            g.add((s, p, o))
    EX = Namespace("http://ex.org/")
    RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    john, acme, paris = EX["entity/PER/john%20smith"], EX["entity/ORG/acme%20corp"], EX["entity/LOC/paris"]
    expected = Graph()
    for iri, cls, label in [(john, "PER", "john smith"), (acme, "ORG", "acme corp"), (paris, "LOC", "paris")]:
        expected.add((iri, RDF_TYPE, EX[f"class/{cls}"]))
        expected.add((iri, RDFS_LABEL, Literal(label)))
    expected.add((john, URIRef("http://schema.org/worksFor"), acme))
    expected.add((acme, EX["property/based_in"], paris))
    assert isomorphic(g, expected), g.serialize(format="nt")


def test_scorer_ignores_labels_the_reference_is_not_annotated_for():
    nlp = spacy.blank("en")
    text, ents, rels = TRAIN_DATA[3]
    gold = make_reference(nlp, text, ents, [rels[0]])  # work_for only
    gold._.kgx_annotated_labels = ["work_for"]
    predicted = make_reference(nlp, text, ents, rels)  # also live_in, not annotated
    assert relation_score([Example(predicted, gold)])["rel_micro_p"] == 1.0
    gold._.kgx_annotated_labels = []
    assert relation_score([Example(predicted, gold)])["rel_micro_p"] == 0.5


def test_kge_prior_vouches_for_linked_facts_only(trained, tmp_path):
    """With kge_weight, a pair whose ends are linked to entities of the KGE gains
    kge_weight · z⁺ on each label's logit whose predicate the KGE knows: the KG's fact
    (mary jones, live_in, london) rises, nothing falls, and unlinked pairs stay as they were;
    the KGE travels with the pipeline."""
    from kgx_spacy.kge import KGEModel, TrainingConfig, TriplesFactory, train as train_kge

    ex = "http://example.org/"
    kg = [(ex + "mary", ex + "live_in", ex + "london"), (ex + "acme", ex + "based_in", ex + "berlin"),
          (ex + "john", ex + "work_for", ex + "acme")] + [(ex + f"e{i}", ex + "work_for", ex + f"e{i + 1}") for i in range(8)]
    factory = TriplesFactory.from_triples(kg)
    model = KGEModel("complex", factory, dim=8, reciprocal=True)
    train_kge(model, factory.map(kg), TrainingConfig(epochs=100, batch_size=16, lr=0.1))
    model.to_disk(tmp_path / "kge")
    pipe = trained.get_pipe("kgx_relation_classifier")
    text = "mary jones lives in london ."
    plain = pipe.predict([trained(text)])[0][1]
    try:
        pipe.use_kge(tmp_path / "kge")
        assert pipe.cfg["kge_relations"] == {label: ex + label for label in ("based_in", "live_in", "work_for")}
        pipe.cfg["kge_weight"] = 1.0
        doc = trained(text)
        unlinked = pipe.predict([doc])[0]
        doc._.kgx_links = [{"start": 0, "end": 2, "iri": ex + "mary", "score": 1.0, "nil": False},
                           {"start": 4, "end": 5, "iri": ex + "london", "score": 1.0, "nil": False}]
        pairs, boosted = pipe.predict([doc])[0]
        prior = pipe.kge_prior(doc, pairs)
        live_in = pipe.labels.index("live_in")
        forward = [i for i, (h, t) in enumerate(pairs) if h.text == "mary jones"][0]
        assert numpy.allclose(unlinked[1], plain, atol=1e-6)
        assert prior[forward, live_in] > 1.0 and (prior >= 0).all()
        assert boosted[forward, live_in] > plain[forward, live_in] and (boosted >= plain - 1e-6).all()
        trained.to_disk(tmp_path / "nlp")
        loaded = spacy.load(tmp_path / "nlp").get_pipe("kgx_relation_classifier")
        assert loaded.cfg["kge_weight"] == 1.0 and numpy.allclose(loaded.kge_prior(doc, pairs), prior)
    finally:
        pipe.plausibility, pipe.cfg["kge_weight"], pipe.cfg["kge_relations"] = None, 0.0, {}
