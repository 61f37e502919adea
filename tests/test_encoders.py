"""The encoder resolver: local directories, the bundled MiniLM, clear errors, no network."""

import pytest

from kgx_spacy.encoders import EncoderNotFound, encoder_path, resolve_encoder


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
