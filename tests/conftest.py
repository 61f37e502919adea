"""Shared fixtures: a tiny randomly initialised BERT built offline, the data folder, and a real
``oxigraph serve`` on 127.0.0.1."""

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

WORDS = (
    "the a an of in on at to and or is was by for with from as that this he she it they "
    "john smith mary jones paris london berlin france germany acme corp inc company works "
    "work lives live born killed kill city president said new york university based located "
    "york , . ' \" ( ) - : ; ! ? 1 2 3 4 5 6 7 8 9 0"
).split()


def build_tiny_bert(path: Path) -> Path:
    """A 2-layer, 32-wide BERT with random weights and a WordPiece vocabulary; no network."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path.mkdir(parents=True, exist_ok=True)
    chars = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(set(WORDS + chars))
    vocab += [f"##{c}" for c in chars]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(path / "vocab.txt"), do_lower_case=True)
    tokenizer.model_max_length = 64
    tokenizer.save_pretrained(str(path))
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(str(path))
    return path


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> str:
    """Path to the tiny BERT directory (usable as a transformer ``name``)."""
    return str(build_tiny_bert(tmp_path_factory.mktemp("tiny-bert")))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared benchmark data (``KGX_DATA``); tests that need it skip when it is absent."""
    from kgx_spacy.corpora import data_dir as configured

    path = configured()
    if not path.is_dir():
        pytest.skip(f"benchmark data not found at {path} (set KGX_DATA)")
    return path


@pytest.fixture(scope="session")
def blank_with_transformer(tiny_bert):
    """``make(lang="en", window=24, stride=18)`` → a blank pipeline with the tiny transformer."""
    import spacy

    def make(lang: str = "en", window: int = 24, stride: int = 18):
        nlp = spacy.blank(lang)
        nlp.add_pipe(
            "transformer",
            config={
                "model": {
                    "@architectures": "kgx.TransformerModel.v1",
                    "name": tiny_bert,
                    "get_spans": {
                        "@span_getters": "spacy-transformers.strided_spans.v1",
                        "window": window,
                        "stride": stride,
                    },
                }
            },
        )
        return nlp

    return make


OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """Base URL of an Oxigraph server with on-disk storage; killed at the end of the session."""
    if not Path(OXIGRAPH).exists():
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    location = tmp_path_factory.mktemp("oxigraph-server")
    process = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(base: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oxigraph exited: {process.stderr.read().decode()}")
        try:
            with urllib.request.urlopen(f"{base}/query?query=ASK%7B%7D", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    raise RuntimeError(f"oxigraph did not answer at {base} within {timeout} s")
