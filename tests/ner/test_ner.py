"""kgx_ner: overfit-then-predict, save/load, batch vs single, long and odd documents."""

import itertools
import numpy
import pytest
import spacy
from spacy.tokens import Doc
from spacy.training import Example

from kgx_spacy.extensions import ENTITIES_SPANS_KEY
from kgx_spacy.ml.tagging import allowed_transitions, bio_tags, tags_to_spans, viterbi

TRAIN_DATA = [
    ("john smith works for acme corp in paris .", [(0, 10, "PER"), (21, 30, "ORG"), (34, 39, "LOC")]),
    ("mary jones lives in london .", [(0, 10, "PER"), (20, 26, "LOC")]),
    ("the company acme inc is based in berlin .", [(12, 20, "ORG"), (33, 39, "LOC")]),
    ("he was born in france .", [(15, 21, "LOC")]),
]


def make_examples(nlp):
    examples = []
    for text, ents in TRAIN_DATA:
        doc = nlp.make_doc(text)
        examples.append(Example.from_dict(doc, {"entities": ents}))
    return examples


@pytest.fixture(scope="module")
def trained(blank_with_transformer):
    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_ner")
    examples = make_examples(nlp)
    optimizer = nlp.initialize(get_examples=lambda: examples)
    optimizer.learn_rate = 1e-3
    for _ in range(150):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    return nlp


def predictions(docs):
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]


def test_viterbi_is_the_best_valid_sequence():
    start, trans = allowed_transitions(2)
    rng = numpy.random.default_rng(0)
    for _ in range(20):
        log_probs = numpy.log(rng.dirichlet(numpy.ones(5), size=4))
        valid = [
            seq
            for seq in itertools.product(range(5), repeat=4)
            if start[seq[0]] and all(trans[a, b] for a, b in zip(seq, seq[1:]))
        ]
        best = max(valid, key=lambda seq: sum(log_probs[i, t] for i, t in enumerate(seq)))
        assert tuple(viterbi(log_probs)) == best
    # An I- tag never starts a sequence, even when it is the most likely tag.
    tags = bio_tags(["A", "B"])
    assert tags[viterbi(numpy.log([[0.1, 0.1, 0.6, 0.1, 0.1]]))[0]][0] != "I"
    assert tags_to_spans([1, 2, 0, 3, 3, 4]) == [(0, 2, 0), (3, 4, 1), (4, 6, 1)]


def test_overfit_then_predict(trained):
    texts = [text for text, _ in TRAIN_DATA]
    docs = list(trained.pipe(texts))
    for doc, (_, gold) in zip(docs, TRAIN_DATA):
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == gold
        scores = doc.spans[ENTITIES_SPANS_KEY].attrs["scores"]
        assert len(scores) == len(doc.ents)
        assert all(0.5 < s <= 1.0 for s in scores)
    scores = trained.evaluate(make_examples(trained))
    assert scores["ents_f"] == 1.0
    assert {"ents_p", "ents_r", "ents_f", "ents_per_type"} <= set(scores)


def test_save_load_identical(trained, tmp_path):
    texts = [text for text, _ in TRAIN_DATA]
    before = [doc.spans[ENTITIES_SPANS_KEY].attrs["scores"] for doc in trained.pipe(texts)]
    trained.to_disk(tmp_path / "nlp")
    loaded = spacy.load(tmp_path / "nlp")
    assert predictions(loaded.pipe(texts)) == predictions(trained.pipe(texts))
    after = [doc.spans[ENTITIES_SPANS_KEY].attrs["scores"] for doc in loaded.pipe(texts)]
    assert numpy.allclose(sum(before, []), sum(after, []), atol=1e-6)


def test_batch_equals_single(trained):
    texts = [text for text, _ in TRAIN_DATA] * 3
    batched = predictions(trained.pipe(texts, batch_size=8))
    single = predictions([trained(text) for text in texts])
    assert batched == single


def test_long_document_is_tagged_completely(trained):
    sentence = "john smith works for acme corp in paris . "
    text = sentence * 600  # 5,400 words: far beyond one 24-token window
    doc = trained(text)
    assert len(doc) == 5400
    assert len(doc.ents) == 3 * 600
    assert doc.ents[-1].end_char == len(text.rstrip()) - 2


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "paris"])
def test_empty_whitespace_and_one_token(trained, text):
    doc = trained(text)
    assert all(ent.label_ in {"PER", "ORG", "LOC"} for ent in doc.ents)
    docs = list(trained.pipe([text, "john smith works for acme corp in paris .", text]))
    assert len(docs[1].ents) == 3


def test_whitespace_spans_are_never_entities(trained):
    doc = trained.make_doc("paris \n")
    assert doc[1].is_space
    ner = trained.get_pipe("kgx_ner")
    ner.set_annotations([doc], [[(0, 1, 0, 0.9), (1, 2, 0, 0.8)]])
    assert [(e.start, e.end) for e in doc.ents] == [(0, 1)]
    assert doc.spans["kgx_entities"].attrs["scores"] == [0.9]


def test_missing_gold_tags_add_no_gradient(blank_with_transformer):
    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_ner")
    doc = nlp.make_doc("john smith lives in paris .")
    reference = Doc(nlp.vocab, words=[t.text for t in doc], ents=["B-PER", "I-PER", None, None, None, None])
    eg = Example(doc, reference)
    nlp.initialize(get_examples=lambda: [eg])
    ner = nlp.get_pipe("kgx_ner")
    docs = list(nlp.get_pipe("transformer").pipe([eg.predicted]))
    loss, d_scores = ner.get_loss([eg], ner.model.predict(docs))
    assert numpy.isfinite(loss) and loss > 0
    assert numpy.abs(d_scores[0][:2]).sum() > 0
    assert numpy.abs(d_scores[0][2:]).sum() == 0


def test_linear_viterbi_equals_the_quadratic_recursion():
    """With many labels (where brute force cannot go) the linear BIO recursion finds the
    path of the textbook one over the full transition matrix."""

    def quadratic(log_probs, start, trans):
        penalty = numpy.where(trans, 0.0, -numpy.inf)
        score = numpy.where(start, log_probs[0], -numpy.inf)
        back = numpy.zeros(log_probs.shape, dtype="int64")
        for i in range(1, len(log_probs)):
            candidates = score[:, None] + penalty
            back[i] = candidates.argmax(axis=0)
            score = candidates[back[i], numpy.arange(log_probs.shape[1])] + log_probs[i]
        path = [int(score.argmax())]
        for i in range(len(log_probs) - 1, 0, -1):
            path.append(int(back[i, path[-1]]))
        return path[::-1]

    rng = numpy.random.default_rng(3)
    for n_labels in (1, 8, 40):
        start, trans = allowed_transitions(n_labels)
        for _ in range(30):
            log_probs = numpy.log(rng.dirichlet(numpy.ones(2 * n_labels + 1), size=rng.integers(1, 20)))
            assert list(viterbi(log_probs)) == quadratic(log_probs, start, trans)


def test_decode_shortcut_equals_viterbi():
    from kgx_spacy.ml.tagging import decode, log_softmax

    rng = numpy.random.default_rng(2)
    for _ in range(200):
        scores = rng.normal(0, 3, size=(rng.integers(1, 12), 7))
        expected = tags_to_spans(viterbi(log_softmax(scores)))
        assert [span[:3] for span in decode(scores, 3)] == expected


def test_windowed_hidden_layer_overfits(blank_with_transformer):
    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_ner", config={"model": {"hidden_width": 32, "window_size": 1}})
    examples = make_examples(nlp)
    optimizer = nlp.initialize(get_examples=lambda: examples)
    optimizer.learn_rate = 1e-3
    for _ in range(150):
        nlp.update(examples, sgd=optimizer)
    assert nlp.evaluate(make_examples(nlp))["ents_f"] == 1.0
    assert predictions(nlp.pipe([text for text, _ in TRAIN_DATA])) == predictions([nlp(text) for text, _ in TRAIN_DATA])
