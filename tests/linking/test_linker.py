"""kgx_entity_linker: overfit, NIL, save/load, batch vs single, coherence, text-only mode."""

from types import SimpleNamespace

import numpy
import pytest
import spacy
from spacy.training import Example

from kgx_spacy.kb import KB, build_kb
from kgx_spacy.kge import (
    KGEModel,
    TrainingConfig,
    TriplesFactory,
    interactions as interactions_module,
    read_triples,
    train as train_kge,
)
from kgx_spacy.linking.component import (
    Mention,
    linker_score,
    mention_cross_entropy,
    mention_softmax,
    nearest_mentions,
    simulated,
)
from kgx_spacy.linking.graph import LinkingGraph
from kgx_spacy.linking.model import HAS_KGE_VECTOR, coherence_features

TURTLE = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Paris a ex:City ; rdfs:label "Paris" ; ex:capitalOf ex:France .
ex:ParisTexas a ex:City ; rdfs:label "Paris" ; ex:locatedIn ex:Texas .
ex:ParisHilton a ex:Person ; rdfs:label "Paris Hilton" , "Paris" ; ex:bornIn ex:NewYork .
ex:France a ex:Country ; rdfs:label "France" .
ex:Texas a ex:State ; rdfs:label "Texas" ; ex:partOf ex:USA .
ex:NewYork a ex:City ; rdfs:label "New York" ; ex:partOf ex:USA .
ex:USA a ex:Country ; rdfs:label "United States" .
ex:Lyon a ex:City ; rdfs:label "Lyon" ; ex:locatedIn ex:France .
"""
EX = "http://example.org/"

# text, entities: (char start, end, label, gold IRI)
TRAIN_DATA = [
    ("paris is the capital of france .", [(0, 5, "LOC", "Paris"), (24, 30, "LOC", "France")]),
    ("paris is a small town in texas .", [(0, 5, "LOC", "ParisTexas"), (25, 30, "LOC", "Texas")]),
    ("paris hilton was born in new york .", [(0, 12, "PER", "ParisHilton"), (25, 33, "LOC", "NewYork")]),
    ("lyon lies in france .", [(0, 4, "LOC", "Lyon"), (13, 19, "LOC", "France")]),
    ("zorblax visited texas .", [(0, 7, "PER", "Zorblax"), (16, 21, "LOC", "Texas")]),
]


@pytest.fixture(scope="module")
def kb_and_kge(tmp_path_factory):
    folder = tmp_path_factory.mktemp("linking")
    ttl = folder / "kg.ttl"
    ttl.write_text(TURTLE, encoding="utf-8")
    build_kb([ttl]).to_disk(folder / "kb")
    triples = read_triples(ttl)
    factory = TriplesFactory.from_triples(triples)
    model = KGEModel("distmult", factory, dim=16, init_scale=0.1)
    train_kge(model, factory.map(triples), TrainingConfig(epochs=200, batch_size=16, lr=0.5))
    model.to_disk(folder / "kge")
    return str(folder / "kb"), str(folder / "kge")


def make_examples(nlp):
    examples = []
    for text, ents in TRAIN_DATA:
        reference = nlp.make_doc(text)
        reference.ents = [reference.char_span(s, e, label=label, kb_id=EX + iri) for s, e, label, iri in ents]
        examples.append(Example(nlp.make_doc(text), reference))
    return examples


def add_ruler(nlp):
    ruler = nlp.add_pipe("entity_ruler", first=True)
    patterns = {(label, text[s:e]) for text, ents in TRAIN_DATA for s, e, label, _ in ents}
    ruler.add_patterns([{"label": label, "pattern": phrase} for label, phrase in sorted(patterns)])


def train(blank_with_transformer, kb_and_kge, **config):
    """The linker overfit on TRAIN_DATA (no simulated NIL: every mention keeps its entity)."""
    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_entity_linker", config={"nil_simulation": 0.0, **config})
    kb, kge = kb_and_kge
    nlp.config["initialize"]["components"]["kgx_entity_linker"] = {"kb": kb, "kge": kge}
    examples = make_examples(nlp)
    optimizer = nlp.initialize(get_examples=lambda: examples)
    optimizer.learn_rate = 1e-3
    for _ in range(80):
        nlp.update(examples, sgd=optimizer)
    add_ruler(nlp)
    return nlp


@pytest.fixture(scope="module")
def trained(blank_with_transformer, kb_and_kge):
    return train(blank_with_transformer, kb_and_kge)


def links(doc):
    return [(doc[r["start"] : r["end"]].text, r["iri"], r["nil"]) for r in doc._.kgx_links]


def expected_links(text, ents):
    out = []
    for s, e, _, iri in ents:
        nil = iri == "Zorblax"
        out.append((text[s:e], None if nil else EX + iri, nil))
    return out


def test_overfit_then_predict_with_nil(trained):
    for text, ents in TRAIN_DATA:
        doc = trained(text)
        got = [(t, None if nil else iri, nil) for t, iri, nil in links(doc)]
        assert got == expected_links(text, ents)
        assert [e.kb_id_ for e in doc.ents] == [r["iri"] for r in doc._.kgx_links]
        assert all(0.0 < r["score"] <= 1.0 for r in doc._.kgx_links)


def test_nil_iri_is_minted_deterministically(trained):
    first = trained("zorblax visited texas .")._.kgx_links[0]
    again = trained("yesterday zorblax visited texas .")._.kgx_links[0]
    assert first["nil"] and again["nil"]
    assert first["iri"] == again["iri"] == "http://example.org/kgx/entity/PER/zorblax"


def test_save_load_identical(trained, tmp_path):
    texts = [t for t, _ in TRAIN_DATA]
    trained.to_disk(tmp_path / "nlp")
    loaded = spacy.load(tmp_path / "nlp")
    for a, b in zip(trained.pipe(texts), loaded.pipe(texts)):
        assert links(a) == links(b)
        assert numpy.allclose([r["score"] for r in a._.kgx_links], [r["score"] for r in b._.kgx_links], atol=1e-6)


def test_batch_equals_single(trained):
    texts = [t for t, _ in TRAIN_DATA] * 2
    batched = [d._.kgx_links for d in trained.pipe(texts, batch_size=4)]
    single = [trained(t)._.kgx_links for t in texts]
    assert [[(r["iri"], round(r["score"], 5)) for r in d] for d in batched] == [[(r["iri"], round(r["score"], 5)) for r in d] for d in single]


def test_no_entities_no_links(trained):
    doc = trained("nothing to see .")
    assert doc._.kgx_links == [] and not doc.ents


def test_typo_mention_still_finds_its_candidate(trained):
    linker = trained.get_pipe("kgx_entity_linker")
    doc = trained.make_doc("lyonn is nice")
    mention = linker.mentions([doc[0:1]])[0]
    assert EX + "Lyon" in [c.iri for c in mention.candidates]


def test_kge_coherence_separates_the_two_parises(trained):
    """The KGE finds (Paris, capitalOf, France) plausible and (Paris, ?, Texas) not."""
    graph = trained.get_pipe("kgx_entity_linker").graph
    kb = graph.kb
    ids = {name: kb.entity_id(EX + name) for name in ("Paris", "ParisTexas", "France", "Texas")}
    p = graph.plausibility(
        numpy.array([ids["Paris"], ids["ParisTexas"]]), numpy.array([ids["France"], ids["France"]])
    )
    assert p[0] > p[1]


def test_text_only_linker_trains_without_kge(blank_with_transformer, kb_and_kge):
    nlp = train(blank_with_transformer, (kb_and_kge[0], None), use_kge=False)
    linker = nlp.get_pipe("kgx_entity_linker")
    assert linker.graph.kge is None
    scores = nlp.evaluate(make_examples(nlp))
    assert scores["el_micro_f"] > 0.0


def test_softmax_and_loss_gradient():
    scores = numpy.array([1.0, 2.0, 0.5, 0.0, -1.0], dtype="float32")  # 3 candidates, 2 NIL
    owner = numpy.array([0, 0, 1])
    probs = mention_softmax(scores, owner, 2)
    assert [len(p) for p in probs] == [3, 2]
    assert all(abs(p.sum() - 1) < 1e-6 for p in probs)
    loss, grad = mention_cross_entropy(scores, owner, numpy.array([1, 1]))  # 2nd cand, NIL
    eps = 1e-3
    for i in range(len(scores)):
        bumped = scores.copy()
        bumped[i] += eps
        numeric = (mention_cross_entropy(bumped, owner, numpy.array([1, 1]))[0] - loss) / eps
        assert abs(numeric - grad[i]) < 1e-2


def test_coherence_uses_the_other_mentions_likely_links():
    # mention 0: candidates 0, 1; mention 1: candidate 2 (sure). 0 fits 2, 1 does not;
    # 2's pair has plausibility 0 (unknown): it is compared with nothing.
    local = numpy.array([0.0, 0.0, 5.0], dtype="float32")
    nil = numpy.array([-10.0, -10.0], dtype="float32")
    owner = numpy.array([0, 0, 1])
    pairs = numpy.array([[0, 2], [1, 2], [2, 0]])
    plausibility = numpy.array([3.0, -1.0, 0.0], dtype="float32")
    coherence = coherence_features(local, nil, owner, pairs, plausibility)
    assert coherence[0] > 2.9 and coherence[1] < -0.9 and coherence[2] == 0.0


def test_coherence_takes_the_best_partner_mention():
    # mention 0: candidate 0; mentions 1 and 2: one sure candidate each (1, 2).
    local = numpy.array([0.0, 5.0, 5.0], dtype="float32")
    nil = numpy.full((3,), -10.0, dtype="float32")
    owner = numpy.array([0, 1, 2])
    pairs = numpy.array([[0, 1], [0, 2]])
    coherence = coherence_features(local, nil, owner, pairs, numpy.array([-2.0, 1.5], dtype="float32"))
    assert abs(coherence[0] - 1.5) < 1e-3 and coherence[1] == coherence[2] == 0.0


def test_coherence_pairs_match_the_plain_loops(trained):
    """Vectorised pairs = for each mention, its nearest mentions (ties: lower index), all
    its candidates × their top candidates; with tied positions and candidate-less mentions."""
    linker = trained.get_pipe("kgx_entity_linker")
    top_k, n_partners = linker.cfg["coherence_candidates"], linker.cfg["coherence_partners"]
    rng = numpy.random.default_rng(0)
    mentions = [
        [Mention(SimpleNamespace(start=int(p)), [None] * int(rng.integers(0, 5))) for p in rng.integers(0, 12, size=n)]
        for n in (0, 1, 2, 7, 9)
    ]
    expected, offset = set(), 0
    for doc_mentions in mentions:
        starts = numpy.cumsum([0] + [len(m.candidates) for m in doc_mentions]) + offset
        positions = numpy.array([m.span.start for m in doc_mentions])
        for i in range(len(doc_mentions)):
            nearest = [j for j in numpy.argsort(numpy.abs(positions - positions[i]), kind="stable") if j != i]
            for j in nearest[:n_partners]:
                for a in range(starts[i], starts[i + 1]):
                    for b in range(starts[j], min(starts[j] + top_k, starts[j + 1])):
                        expected.add((int(a), int(b)))
        offset = starts[-1]
    pairs = linker._coherence_pairs(mentions)
    assert len(pairs) == len(expected) and set(map(tuple, pairs.tolist())) == expected


def test_nearest_mentions_in_chunks_of_rows():
    positions = numpy.random.default_rng(1).integers(0, 20, size=11)
    whole = nearest_mentions(positions, 4)
    assert whole.shape == (11, 4) and (whole != numpy.arange(11)[:, None]).all()
    assert numpy.array_equal(nearest_mentions(positions, 4, rows_per_chunk=3), whole)
    assert nearest_mentions(positions[:1], 4).shape == (1, 0) and nearest_mentions(positions[:0], 4).shape == (0, 0)


@pytest.mark.parametrize("interaction", sorted(interactions_module.PAIR_SCORES))
def test_pair_features_score_as_the_interaction(kb_and_kge, monkeypatch, interaction):
    """The matrix-product plausibility equals the model's own score over every relation."""
    kb = KB.from_disk(kb_and_kge[0])
    factory = KGEModel.from_disk(kb_and_kge[1]).factory
    graph = LinkingGraph(kb, KGEModel(interaction, factory, dim=8, reciprocal=True, init_scale=0.5))
    heads, tails = numpy.meshgrid(numpy.arange(len(kb)), numpy.arange(len(kb)))
    fast = graph.raw_plausibility(heads.ravel(), tails.ravel())
    monkeypatch.delitem(interactions_module.PAIR_SCORES, interaction)
    slow = graph.raw_plausibility(heads.ravel(), tails.ravel())
    assert numpy.isfinite(slow).any()
    numpy.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)


def test_cached_candidates_equal_the_kb_lookup(trained):
    graph = trained.get_pipe("kgx_entity_linker").graph
    texts = ["paris", "Paris", "lyonn", "new york", "zorblax"]
    for text in texts:
        assert graph.candidates(text, 10, True) == tuple(graph.kb.candidates(text, 10, fuzzy=True))
        assert graph.candidates(text, 2, False) == tuple(graph.kb.candidates(text, 2, fuzzy=False))
    hits = graph.candidates.cache_info().hits
    assert graph.candidates("lyonn", 10, True) == tuple(graph.kb.candidates("lyonn", 10, fuzzy=True))
    assert graph.candidates.cache_info().hits == hits + 1


def test_scorer_counts_nil_as_a_match(blank_with_transformer):
    nlp = spacy.blank("en")
    gold = nlp.make_doc("zorblax visited texas")
    gold.ents = [gold.char_span(0, 7, "PER", kb_id=EX + "Zorblax"), gold.char_span(16, 21, "LOC", kb_id=EX + "Texas")]
    gold._.kgx_links = [{"start": 0, "end": 1, "iri": EX + "Zorblax", "score": 1.0, "nil": True}]
    pred = nlp.make_doc("zorblax visited texas")
    pred.ents = [pred.char_span(0, 7, "PER", kb_id="http://x/minted"), pred.char_span(16, 21, "LOC", kb_id=EX + "Paris")]
    pred._.kgx_links = [{"start": 0, "end": 1, "iri": "http://x/minted", "score": 0.9, "nil": True}]
    scores = linker_score([Example(pred, gold)])
    assert scores["el_accuracy"] == 0.5 and scores["el_micro_f"] == 0.5


def test_simulated_is_deterministic_and_near_its_rate():
    nlp = spacy.blank("en")
    spans = [nlp.make_doc(f"mention number {i} here")[2:3] for i in range(2000)]
    chosen = [simulated(span, 0.1) for span in spans]
    assert chosen == [simulated(span, 0.1) for span in spans]
    assert 0.07 < sum(chosen) / len(chosen) < 0.13
    assert not any(simulated(span, 0.0) for span in spans)


def test_unseen_candidates_lose_their_kge_vector_and_coherence(trained):
    """A candidate row played as unseen (an entity known by name only) looks like one
    without triples: no KGE vector, has_kge_vector 0, no plausibility with any partner."""
    linker = trained.get_pipe("kgx_entity_linker")
    doc = trained("paris is the capital of france .")
    mentions = [linker.mentions(doc.ents)]
    plain = linker.batch([doc], mentions)
    hidden = linker.batch([doc], mentions, unseen=[0])
    assert plain.features[0, HAS_KGE_VECTOR] == 1.0 and hidden.features[0, HAS_KGE_VECTOR] == 0.0
    assert numpy.abs(plain.kge[0]).sum() > 0 and not hidden.kge[0].any()
    assert numpy.array_equal(plain.kge[1:], hidden.kge[1:]) and numpy.array_equal(plain.pairs, hidden.pairs)
    involved = (plain.pairs == 0).any(1)
    assert (plain.plausibility[involved] != 0).any() and not hidden.plausibility[involved].any()
    assert numpy.array_equal(plain.plausibility[~involved], hidden.plausibility[~involved])


def test_coherence_floor_lets_coherence_only_add(trained):
    """At floor 0 (the default) a pair below the random mean counts as not compared, so
    no candidate's coherence is negative; at -3 the same pairs keep their negative z."""
    linker = trained.get_pipe("kgx_entity_linker")
    doc = trained("paris is the capital of texas and of france .")
    mentions = [linker.mentions(doc.ents)]
    try:
        linker.cfg["coherence_floor"] = -3.0
        signed = linker.batch([doc], mentions)
    finally:
        linker.cfg["coherence_floor"] = 0.0
    floored = linker.batch([doc], mentions)
    assert (signed.plausibility < 0).any() and (signed.plausibility > 0).any()
    assert numpy.array_equal(floored.plausibility, numpy.maximum(signed.plausibility, 0.0))
    local = numpy.zeros(len(floored.owner), "float32")
    nil = numpy.zeros(len(floored.mentions), "float32")
    assert (coherence_features(local, nil, floored.owner, floored.pairs, floored.plausibility) >= 0).all()
    assert (coherence_features(local, nil, signed.owner, signed.pairs, signed.plausibility) < 0).any()


def test_unseen_rate_is_the_kbs_share_of_entities_without_kge(trained):
    linker = trained.get_pipe("kgx_entity_linker")
    share = float((linker.graph.kge_rows < 0).mean())
    assert linker.cfg["unseen_simulation"] is None and linker._unseen_rate() == share
    linker.cfg["unseen_simulation"] = 0.25
    assert linker._unseen_rate() == 0.25
    linker.cfg["unseen_simulation"] = None


def test_degrees_count_the_triples_of_each_entity(trained):
    graph = trained.get_pipe("kgx_entity_linker").graph
    degree = {name: int(graph.degrees[graph.kb.entity_id(EX + name)]) for name in ("Paris", "France", "USA", "Lyon")}
    assert degree == {"Paris": 1, "France": 2, "USA": 2, "Lyon": 1}


def test_the_kge_gate_weighs_kge_vectors_and_coherence_by_degree(trained):
    """At inference each candidate's KGE vector and its coherence pairs are scaled by
    kge_weight · d / (d + kge_degree_half); training's batches are never gated."""
    linker = trained.get_pipe("kgx_entity_linker")
    doc = trained("paris is the capital of france .")
    mentions = [linker.mentions(doc.ents)]
    plain = linker.batch([doc], mentions)
    entities = numpy.array([c.entity for m in mentions[0] for c in m.candidates])
    degrees = linker.graph.degrees[entities]
    try:
        linker.cfg.update(kge_weight=0.5, kge_degree_half=2.0)
        gated = linker.batch([doc], mentions, gated=True)
        assert numpy.array_equal(linker.batch([doc], mentions).kge, plain.kge)
    finally:
        linker.cfg.update(kge_weight=1.0, kge_degree_half=0.0)
    gate = 0.5 * degrees / (degrees + 2.0)
    assert len(set(gate.tolist())) > 1
    assert numpy.allclose(gated.kge, plain.kge * gate[:, None])
    assert numpy.allclose(gated.plausibility, plain.plausibility * gate[plain.pairs[:, 0]])
    assert numpy.array_equal(gated.features, plain.features) and numpy.array_equal(gated.text, plain.text)


def test_a_kge_weight_of_zero_links_as_without_the_kge_terms(trained):
    linker = trained.get_pipe("kgx_entity_linker")
    doc = trained.make_doc("paris is the capital of france .")
    doc = trained.get_pipe("entity_ruler")(doc)
    model = linker.model
    saved = {name: model.get_param(name).copy() for name in ("P", "w_coh")}
    try:
        model.set_param("P", model.ops.alloc2f(*saved["P"].shape))
        model.set_param("w_coh", model.ops.alloc1f(1))
        expected = [p for _, p in linker.predict([doc])[0]]
    finally:
        for name, value in saved.items():
            model.set_param(name, value)
    ungated = [p for _, p in linker.predict([doc])[0]]
    try:
        linker.cfg["kge_weight"] = 0.0
        got = [p for _, p in linker.predict([doc])[0]]
    finally:
        linker.cfg["kge_weight"] = 1.0
    assert all(numpy.allclose(g, e, atol=1e-6) for g, e in zip(got, expected))
    assert not all(numpy.allclose(u, e, atol=1e-6) for u, e in zip(ungated, expected))
