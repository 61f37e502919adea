"""Every file in configs/ loads, resolves and initialises (tiny BERT in place of MiniLM)."""

from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import load_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.cfg"))


def tiny_examples(nlp):
    doc = nlp.make_doc("john smith works for acme corp in paris .")
    ref = Doc(nlp.vocab, words=[t.text for t in doc])
    ref.ents = [Span(ref, 0, 2, "PER"), Span(ref, 4, 6, "ORG"), Span(ref, 7, 8, "LOC")]
    return [Example(doc, ref)]


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_loads_and_initialises(path, tiny_bert):
    config = load_config(path)
    if "encoder" in config["paths"]:
        config["paths"]["encoder"] = tiny_bert
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    examples = tiny_examples(nlp)
    nlp.initialize(get_examples=lambda: examples)
    doc = nlp("mary jones lives in london .")
    assert len(doc) == 6
