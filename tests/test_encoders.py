"""The encoder resolver (local directories, the bundled MiniLM, clear errors, no network)
and the listener that shares pooled vectors between heads."""

import numpy
import pytest
import spacy
from spacy.training import Example
from spacy_transformers.layers.trfs2arrays import trfs2arrays
from thinc.api import reduce_mean

from kgx_spacy.encoders import EncoderNotFound, encoder_path, resolve_encoder

TRAIN = [
    ("john smith works for acme corp in paris .", [(0, 10, "PER"), (21, 30, "ORG"), (34, 39, "LOC")]),
    ("mary jones lives in london .", [(0, 10, "PER"), (20, 26, "LOC")]),
]


def test_directory(tiny_bert):
    assert str(resolve_encoder(tiny_bert)) == tiny_bert
    assert encoder_path(tiny_bert) == tiny_bert


def test_bundled_minilm():
    path = resolve_encoder("sentence-transformers/all-MiniLM-L6-v2")
    assert (path / "config.json").is_file()
    assert resolve_encoder("all-MiniLM-L6-v2") == path


def test_directory_without_config(tmp_path):
    with pytest.raises(EncoderNotFound, match="no config.json"):
        resolve_encoder(str(tmp_path))


def test_unknown_name_names_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache
    with pytest.raises(EncoderNotFound, match="not in the Hugging Face cache") as err:
        resolve_encoder("some-org/some-model-that-is-not-here")
    assert "some-org/some-model-that-is-not-here" in str(err.value)


def test_listeners_share_pooled_vectors_at_inference(blank_with_transformer, tmp_path):
    """kgx.TransformerListener.v1 pools each Doc once for every head, and predicts what
    spacy-transformers' own listener predicts with the same weights."""
    nlp = blank_with_transformer()
    for name in ("ner_a", "ner_b"):
        nlp.add_pipe("kgx_ner", name=name)
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in TRAIN]
    optimizer = nlp.initialize(get_examples=lambda: examples)
    optimizer.learn_rate = 1e-3
    for _ in range(60):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    assert nlp.get_pipe_config("ner_a")["model"]["tok2vec"]["@architectures"] == "kgx.TransformerListener.v1"
    doc = nlp("mary jones works for acme corp in berlin .")
    cached = doc._.trf_data.kgx_pooled_reduce_mean
    again = nlp.get_pipe("ner_b").model.get_ref("tok2vec").predict([doc])[0]
    assert again is cached  # the second head reuses the first head's pooling
    fresh = trfs2arrays(reduce_mean(), 1.0).predict([doc._.trf_data])[0]
    numpy.testing.assert_allclose(cached, fresh, rtol=1e-6)
    nlp.to_disk(tmp_path / "model")
    overrides = {f"components.{n}.model.tok2vec.@architectures": "spacy-transformers.TransformerListener.v1" for n in ("ner_a", "ner_b")}
    theirs = spacy.load(tmp_path / "model", config=overrides)
    texts = [t for t, _ in TRAIN] + ["john jones lives in paris ."]
    ents = lambda pipeline: [[(e.start, e.end, e.label_) for e in d.ents] for d in pipeline.pipe(texts)]
    assert ents(theirs) == ents(spacy.load(tmp_path / "model")) == ents(nlp)
