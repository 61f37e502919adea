"""Every file in configs/ loads, resolves and initialises (tiny BERT in place of MiniLM)."""

from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import load_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.cfg"))


def tiny_examples(nlp):
    """One sentence with every kind of gold annotation the components learn from."""
    words = "john smith , born 1943 , works for acme corp in paris .".split()
    ref = Doc(nlp.vocab, words=words)
    ref.ents = [Span(ref, 0, 2, "PER"), Span(ref, 8, 10, "ORG"), Span(ref, 11, 12, "LOC")]
    ref._.kgx_relations = [{"head": [0, 2], "tail": [8, 10], "label": "Work_For", "score": 1.0}]
    ref._.kgx_attributes = [{"entity": [0, 2], "value": [4, 5], "attribute": "DATE_OF_BIRTH", "score": 1.0, "lexical": "1943", "datatype": None}]
    return [Example(Doc(nlp.vocab, words=words), ref)]


@pytest.fixture(scope="module")
def ner_model(tiny_bert, tmp_path_factory) -> str:
    """A trained-once transformer + kgx_ner pipeline, for configs that source from one."""
    config = load_config(CONFIGS[0].with_name("ner_trf.cfg"))
    config["paths"]["encoder"] = tiny_bert
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    examples = tiny_examples(nlp)
    nlp.initialize(get_examples=lambda: examples)
    path = tmp_path_factory.mktemp("ner") / "model"
    nlp.to_disk(path)
    return str(path)


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_loads_and_initialises(path, tiny_bert, request):
    config = load_config(path)
    if "encoder" in config["paths"]:
        config["paths"]["encoder"] = tiny_bert
    if "ner_model" in config["paths"]:
        config["paths"]["ner_model"] = request.getfixturevalue("ner_model")
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    examples = tiny_examples(nlp)
    optimizer = nlp.initialize(get_examples=lambda: examples)
    nlp.update(examples, sgd=optimizer)
    doc = nlp("mary jones lives in london .")
    assert len(doc) == 6
