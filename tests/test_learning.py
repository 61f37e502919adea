"""How the components learn through the shared encoder: gradient from the first step,
summed losses, and a transformer update even when its last listener has nothing to learn."""

import numpy
import torch
from spacy.training import Example

from kgx_spacy.extensions import RELATIONS
from kgx_spacy.ml.tagging import bio_tags, tagging_loss

NER_DATA = [
    ("john smith works for acme corp in paris .", [(0, 10, "PER"), (21, 30, "ORG"), (34, 39, "LOC")]),
    ("mary jones lives in london .", [(0, 10, "PER"), (20, 26, "LOC")]),
]


def encoder_weights(nlp) -> list:
    shim = next(shim for node in nlp.get_pipe("transformer").model.walk() for shim in node.shims)
    return [p.detach().clone() for p in shim._model.parameters()]


def changed(before: list, after: list) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, after))


def ner_examples(nlp, data=NER_DATA):
    return [Example.from_dict(nlp.make_doc(text), {"entities": ents}) for text, ents in data]


def test_first_update_reaches_the_encoder(blank_with_transformer):
    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_ner")
    examples = ner_examples(nlp)
    optimizer = nlp.initialize(get_examples=lambda: examples)
    before = encoder_weights(nlp)
    losses = nlp.update(examples, sgd=optimizer)
    # spacy-transformers adds up the squared gradients its listeners hand back.
    assert losses["transformer"] > 0.0
    # spaCy steps the transformer's optimizer before its listeners backprop, so a batch's
    # gradient reaches the weights at the next update.
    nlp.update(examples, sgd=optimizer)
    assert changed(before, encoder_weights(nlp))


def test_tagging_loss_is_summed_over_documents():
    tags = bio_tags(["PER"])
    rng = numpy.random.default_rng(0)
    scores = rng.normal(size=(4, len(tags))).astype("float32")
    gold = ["B-PER", "I-PER", "O", None]
    one, (d_one,) = tagging_loss([scores], [gold], tags)
    two, (d_a, d_b) = tagging_loss([scores, scores], [gold, gold], tags)
    assert numpy.isclose(two, 2 * one)
    numpy.testing.assert_allclose(d_a, d_one)
    assert not d_one[3].any()  # a token without a gold tag adds no gradient


def test_encoder_updates_when_the_last_listener_has_no_pairs(blank_with_transformer):
    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_ner")
    nlp.add_pipe("kgx_relation_classifier")  # the transformer's last listener
    doc = nlp.make_doc("john smith works for acme corp .")
    train = Example.from_dict(doc, {"entities": [(0, 10, "PER"), (21, 30, "ORG")]})
    train.reference._.set(RELATIONS, [{"head": [0, 2], "tail": [4, 6], "label": "Work_For"}])
    optimizer = nlp.initialize(get_examples=lambda: [train])
    single = ner_examples(nlp, [("he lives in paris .", [(12, 17, "LOC")])])  # one entity: no pair
    before = encoder_weights(nlp)
    for _ in range(2):  # the second update applies the first one's gradient (see above)
        losses = nlp.update(single, sgd=optimizer)
    assert losses["kgx_relation_classifier"] == 0.0 and losses["kgx_ner"] > 0.0
    assert changed(before, encoder_weights(nlp))


def test_averaged_weights_reach_the_encoder(blank_with_transformer):
    """With ``use_averages``, evaluation and saving (``nlp.use_params(averages)``) see the
    encoder's averaged weights, not only the heads'; the raw weights come back after."""
    from thinc.api import Adam

    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_ner")
    examples = ner_examples(nlp)
    nlp.initialize(get_examples=lambda: examples)
    optimizer = Adam(0.01, use_averages=True)
    for _ in range(3):
        nlp.update(examples, sgd=optimizer)
    shim = next(shim for node in nlp.get_pipe("transformer").model.walk() for shim in node.shims)
    raw = encoder_weights(nlp)
    averaged = {
        name: torch.as_tensor(optimizer.averages[(shim.id, name)])
        for name, _ in shim._model.named_parameters() if (shim.id, name) in optimizer.averages
    }
    assert averaged
    with nlp.use_params(optimizer.averages):
        inside = dict(shim._model.named_parameters())
        for name, value in averaged.items():
            assert torch.equal(inside[name].detach(), value)
        assert changed(raw, encoder_weights(nlp))
    assert not changed(raw, encoder_weights(nlp))
