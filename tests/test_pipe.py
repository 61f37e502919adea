"""kgx_spacy.pipe: the components of one pipeline read the training corpus once."""

from spacy.training import Example

from kgx_spacy.extensions import ATTRIBUTES, RELATIONS
from kgx_spacy.pipe import corpus_labels


def make_examples(nlp):
    doc = nlp.make_doc("john smith works for acme corp since 1999 .")
    reference = nlp.make_doc(doc.text)
    reference.ents = [reference.char_span(0, 10, "PER", kb_id="http://x/john"), reference.char_span(21, 30, "ORG")]
    reference._.set(RELATIONS, [{"head": [0, 2], "tail": [4, 6], "label": "work_for"}])
    reference._.set(ATTRIBUTES, [{"entity": [4, 6], "value": [7, 8], "attribute": "since"}])
    return [Example(doc, reference)]


def test_one_pass_for_all_components(blank_with_transformer):
    nlp = blank_with_transformer()
    for name in ("kgx_ner", "kgx_relation_classifier", "kgx_attribute_tagger"):
        nlp.add_pipe(name)
    examples = make_examples(nlp) * 12  # more than the 10 each component samples
    passes = []

    def get_examples():
        passes.append(0)
        for eg in examples:
            yield eg
            passes[-1] += 1

    nlp.initialize(get_examples=get_examples)
    assert sum(1 for n in passes if n == len(examples)) == 1  # the other calls take a sample
    assert nlp.get_pipe("kgx_ner").labels == ("ORG", "PER")
    assert nlp.get_pipe("kgx_relation_classifier").labels == ("work_for",)
    assert nlp.get_pipe("kgx_relation_classifier").cfg["signatures"] == {"work_for": [["PER", "ORG"]]}
    assert nlp.get_pipe("kgx_attribute_tagger").labels == ("since",)


def test_corpus_labels(blank_with_transformer):
    nlp = blank_with_transformer()
    examples = make_examples(nlp)
    found = corpus_labels(lambda: iter(examples))
    assert found.entity_labels == {"PER", "ORG"}
    assert found.record_labels == {RELATIONS: {"work_for"}, ATTRIBUTES: {"since"}}
    assert found.signatures == {"work_for": {("PER", "ORG")}}
    assert found.links == {("PER", "http://x/john"): 1}
    again = make_examples(nlp)[:0]
    assert corpus_labels(lambda: iter(again)).entity_labels == set()  # another get_examples: read again


def test_signatures_with_an_end_that_is_no_entity(blank_with_transformer):
    """A relation whose tail is not among doc.ents (an overlap dropped it) joins a None type;
    it sorts beside the typed signatures of the same label."""
    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_relation_classifier")
    examples = make_examples(nlp)
    doc = nlp.make_doc("mary jones works for acme corp .")
    reference = nlp.make_doc(doc.text)
    reference.ents = [reference.char_span(0, 10, "PER")]
    reference._.set(RELATIONS, [{"head": [0, 2], "tail": [4, 6], "label": "work_for"}])
    examples.append(Example(doc, reference))
    nlp.initialize(get_examples=lambda: examples)
    assert nlp.get_pipe("kgx_relation_classifier").cfg["signatures"] == {"work_for": [["PER", None], ["PER", "ORG"]]}
