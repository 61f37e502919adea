"""int8 encoders: load-time quantisation, the quantised copy, kgx extract --quantize."""

import copy
import numpy
import pytest
import spacy
import torch
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic
from spacy.training import Example
from typer.testing import CliRunner

import kgx_spacy.extract as extract_module
from kgx_spacy.cli import app
from kgx_spacy.errors import KgxInputError
from kgx_spacy.extract import load_pipeline
from kgx_spacy.encoders import INPUT_RANGES
from kgx_spacy.quantize import _smooth, load_quantized, quantize_module, quantize_overrides

TRAIN = [
    ("john smith works for acme corp in paris .", [(0, 10, "PER"), (21, 30, "ORG"), (34, 39, "LOC")]),
    ("mary jones lives in london .", [(0, 10, "PER"), (20, 26, "LOC")]),
    ("the company acme inc is based in berlin .", [(12, 20, "ORG"), (33, 39, "LOC")]),
    ("he was born in france .", [(15, 21, "LOC")]),
]
TEXTS = [text for text, _ in TRAIN] + ["paris and london are cities .", "john jones works in berlin ."]
QUANTISED = torch.ao.nn.quantized.dynamic.Linear


@pytest.fixture(scope="module")
def model(blank_with_transformer, tmp_path_factory):
    """A saved fp32 pipeline (tiny BERT + kgx_ner + kgx_rdf) that has learnt TRAIN."""
    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_ner")
    nlp.add_pipe("kgx_rdf", config={"base_iri": "http://kg.example/"})
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in TRAIN]
    optimizer = nlp.initialize(get_examples=lambda: examples)
    optimizer.learn_rate = 1e-3
    for _ in range(150):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    path = tmp_path_factory.mktemp("quantize") / "fp32"
    nlp.to_disk(path)
    return path


def encoder(nlp):
    return next(s for node in nlp.get_pipe("transformer").model.walk() for s in node.shims)._model


def linear_types(nlp):
    return {type(m) for m in encoder(nlp).modules() if isinstance(m, (torch.nn.Linear, QUANTISED))}


def ents(nlp):
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(TEXTS)]


def test_quantised_encoder_is_int8_and_close_to_fp32(model):
    fp32 = spacy.load(model)
    int8 = load_quantized(model)
    assert linear_types(fp32) == {torch.nn.Linear}
    assert linear_types(int8) == {QUANTISED}
    assert int8.config["components"]["transformer"]["model"]["quantize"] == "int8"
    a = fp32.get_pipe("transformer").predict([fp32.make_doc(TEXTS[0])]).tensors[0]
    b = int8.get_pipe("transformer").predict([int8.make_doc(TEXTS[0])]).tensors[0]
    assert not numpy.array_equal(a, b)
    a, b = numpy.asarray(a), numpy.asarray(b)
    cosine = (a * b).sum(-1) / (numpy.linalg.norm(a, axis=-1) * numpy.linalg.norm(b, axis=-1))
    assert cosine.min() > 0.98
    assert ents(int8) == ents(fp32)  # the learnt entities survive int8


def test_quantised_pipeline_round_trips_and_keeps_fp32_weights(model, tmp_path):
    int8 = load_quantized(model)
    before = ents(int8)
    int8.to_disk(tmp_path / "copy")
    again = spacy.load(tmp_path / "copy")
    assert linear_types(again) == {QUANTISED}
    assert ents(again) == before
    # the copy holds the fp32 weights: loaded fp32 again it is the original pipeline
    fp32 = load_quantized(tmp_path / "copy", None)
    original = spacy.load(model)
    assert linear_types(fp32) == {torch.nn.Linear}
    for (name, a), (_, b) in zip(encoder(fp32).state_dict().items(), encoder(original).state_dict().items()):
        assert torch.equal(a, b), name


def test_quantised_encoder_refuses_training(model):
    nlp = load_quantized(model)
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in TRAIN]
    with pytest.raises(ValueError, match="cannot be trained"):
        nlp.update(examples)


def test_quantize_module_leaves_its_input_alone():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    quantised = quantize_module(module)
    assert [type(m) for m in module] == [torch.nn.Linear, torch.nn.ReLU, torch.nn.Linear]
    assert [type(m) for m in quantised] == [QUANTISED, torch.nn.ReLU, QUANTISED]
    x = torch.randn(4, 8)
    assert torch.allclose(module(x), quantised(x), atol=0.05)


def test_bad_scheme_and_pipelines_without_an_encoder(model, tmp_path):
    with pytest.raises(ValueError, match="quantize must be one of int8"):
        spacy.load(model, config={"components.transformer.model.quantize": "int4"})
    blank = spacy.blank("en")
    blank.add_pipe("entity_ruler")
    blank.to_disk(tmp_path / "blank")
    with pytest.raises(KgxInputError, match="no transformer component"):
        quantize_overrides(blank.config)
    with pytest.raises(KgxInputError, match="no transformer component"):
        load_pipeline(str(tmp_path / "blank"), quantize="int8")
    with pytest.raises(KgxInputError, match="for CPU inference"):
        load_pipeline(str(model), gpu_id=0, quantize="int8")
    with pytest.raises(KgxInputError, match="must be one of int8"):
        load_pipeline(str(model), quantize="fp16")
    with pytest.raises(KgxInputError, match="not a folder or an installed package"):
        load_pipeline(str(tmp_path / "missing"), quantize="int8")


def test_foreign_transformer_architecture_is_taken_over(model, tmp_path):
    """A pipeline saved with spacy-transformers' own architecture quantises too."""
    nlp = spacy.load(model)
    config = nlp.config.copy()
    config["components"]["transformer"]["model"]["@architectures"] = "spacy-transformers.TransformerModel.v3"
    overrides = quantize_overrides(config)
    assert overrides == {
        "components.transformer.model.@architectures": "kgx.TransformerModel.v1",
        "components.transformer.model.quantize": "int8",
    }


def test_cli_quantize_writes_a_copy_and_back(model, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["quantize", str(model), str(tmp_path / "int8")])
    assert result.exit_code == 0, result.output
    assert linear_types(spacy.load(tmp_path / "int8")) == {QUANTISED}
    back = runner.invoke(app, ["quantize", str(tmp_path / "int8"), str(tmp_path / "fp32"), "--scheme", "none"])
    assert back.exit_code == 0, back.output
    assert linear_types(spacy.load(tmp_path / "fp32")) == {torch.nn.Linear}
    again = runner.invoke(app, ["quantize", str(model), str(tmp_path / "int8")])
    assert again.exit_code == 2 and "not an empty folder" in again.output


def triples(dataset: Dataset) -> Graph:
    """Every quad's triple (each document is one named graph, so nothing is lost)."""
    graph = Graph()
    for s, p, o, _ in dataset.quads():
        graph.add((s, p, o))
    return graph


def test_extract_quantize_writes_the_quantised_pipelines_rdf(model, tmp_path, monkeypatch):
    loaded = []

    def spy(*args):
        loaded.append(load_pipeline(*args))
        return loaded[-1]

    monkeypatch.setattr(extract_module, "load_pipeline", spy)
    source = tmp_path / "in.txt"
    source.write_text(TEXTS[-1], encoding="utf-8")
    out = tmp_path / "out.nq"
    result = CliRunner().invoke(app, ["extract", str(model), str(source), "-o", str(out), "--quantize", "int8", "-q"])
    assert result.exit_code == 0, result.output
    assert linear_types(loaded[0]) == {QUANTISED}
    doc = load_quantized(model)(TEXTS[-1])
    doc._.kgx_doc_id = "in.txt"
    assert isomorphic(triples(Dataset().parse(out, format="nquads")), triples(doc._.rdf))


def test_smoothing_is_exact_in_fp32_and_calibration_records_every_layer(model):
    nlp = spacy.load(model)
    trf = nlp.get_pipe("transformer").model
    trf.calibrate([nlp.make_doc(t) for t in TEXTS])
    ranges = trf.attrs[INPUT_RANGES]
    layers = {n: m for n, m in encoder(nlp).named_modules() if isinstance(m, torch.nn.Linear)}
    assert set(ranges) == set(layers)
    assert all(len(ranges[n]) == m.in_features and min(ranges[n]) >= 0 for n, m in layers.items())
    fp32 = encoder(nlp).eval()
    smoothed = copy.deepcopy(fp32)
    _smooth(smoothed, ranges, 0.8)
    ids = torch.randint(5, 40, (2, 9))
    with torch.no_grad():
        assert torch.allclose(fp32(ids).last_hidden_state, smoothed(ids).last_hidden_state, atol=1e-4)


def test_calibrated_copy_round_trips(model, tmp_path):
    source = tmp_path / "calibration.txt"
    source.write_text("\n".join(TEXTS), encoding="utf-8")
    result = CliRunner().invoke(app, ["quantize", str(model), str(tmp_path / "int8"), "--calibrate", str(source)])
    assert result.exit_code == 0, result.output
    assert "calibrated on 1 texts" in result.output  # a .txt file is one text
    copy_ = spacy.load(tmp_path / "int8")
    assert INPUT_RANGES in copy_.get_pipe("transformer").model.attrs
    wrapped = [m for m in encoder(copy_).modules() if type(m).__name__ == "_Smoothed"]
    assert wrapped and all(isinstance(m.linear, QUANTISED) for m in wrapped)
    before = ents(copy_)
    copy_.to_disk(tmp_path / "again")
    assert ents(spacy.load(tmp_path / "again")) == before
    # the ranges stay with the fp32 copy too, ready for a later int8 load
    back = load_quantized(tmp_path / "again", None)
    assert INPUT_RANGES in back.get_pipe("transformer").model.attrs
    assert linear_types(back) == {torch.nn.Linear}
