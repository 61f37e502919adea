"""``kgx.TrainingLog.v1``: a real ``spacy train`` run logs its dev curve, flushed per line;
``kgx resume``: a run killed by SIGKILL continues from its last checkpoint, with its
schedule, its log and the best model of the whole run."""

import json
import os
import subprocess
import sys
from itertools import islice
from pathlib import Path

import pytest
import spacy
from spacy.cli.train import train
from spacy.tokens import DocBin
from thinc.api import Config
from thinc.schedules import warmup_linear
from typer.testing import CliRunner

from kgx_spacy.cli import app
from kgx_spacy.errors import KgxInputError
from kgx_spacy.training import (
    BEST_MARK,
    PREVIOUS_BEST,
    RESUMED_CONFIG,
    fit_config,
    resume_config,
    resumed_schedule,
    settle_best,
)

CONFIG = """
[paths]
train = null
dev = null

[nlp]
lang = "en"
pipeline = ["kgx_ner"]

[components]

[components.kgx_ner]
factory = "kgx_ner"

[components.kgx_ner.model]
@architectures = "kgx.TokenTagger.v2"
hidden_width = 32

[components.kgx_ner.model.tok2vec]
@architectures = "spacy.HashEmbedCNN.v2"
width = 32
depth = 1
embed_size = 500
window_size = 1
maxout_pieces = 2
subword_features = true
pretrained_vectors = null

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${paths.dev}

[training]
max_steps = 6
eval_frequency = 2
seed = 0

[training.logger]
@loggers = "kgx.TrainingLog.v1"
path = "train-log.jsonl"
console_output = false
# as a config written for spacy.ConsoleLogger.v1 has it
progress_bar = false

[training.score_weights]
ents_f = 1.0
"""

SENTENCES = [
    ("John Smith lives in Paris .", [(0, 10, "Peop"), (20, 25, "Loc")]),
    ("Mary Jones works for Acme Corp .", [(0, 10, "Peop"), (21, 30, "Org")]),
]


def _docbin(path):
    nlp = spacy.blank("en")
    docs = []
    for text, ents in SENTENCES:
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(s, e, label=label) for s, e, label in ents]
        docs.append(doc)
    DocBin(docs=docs).to_disk(path)
    return path


def test_training_log_records_every_evaluation(tmp_path):
    data = _docbin(tmp_path / "train.spacy")
    config = tmp_path / "config.cfg"
    # The whole config, as ``spacy init fill-config`` writes it.
    spacy.util.load_model_from_config(spacy.util.load_config_from_str(CONFIG), auto_fill=True).config.to_disk(config)
    log = tmp_path / "logs" / "train-log.jsonl"
    train(
        config, tmp_path / "out",
        overrides={"paths.train": str(data), "paths.dev": str(data), "training.logger.path": str(log)},
    )
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["step"] for r in records] == [0, 2, 4, 6]
    assert [r["seconds"] for r in records] == sorted(r["seconds"] for r in records)
    assert records[-1]["words"] > records[0]["words"]
    assert all(0.0 <= r["scores"]["ents_f"] <= 1.0 for r in records)  # fractions, not percentages
    assert set(records[-1]["losses"]) == {"kgx_ner"}


def test_training_log_lines_are_on_disk_before_the_run_ends(tmp_path):
    from spacy.util import load_config_from_str, registry

    config = load_config_from_str(CONFIG)
    nlp = spacy.blank("en")
    nlp.config["training"] = config["training"]
    log = tmp_path / "train-log.jsonl"
    setup = registry.loggers.get("kgx.TrainingLog.v1")(path=log, console_output=False)
    log_step, finish = setup(nlp)
    info = {"epoch": 1, "step": 10, "seconds": 3, "words": 120, "losses": {},
            "other_scores": {"ents_f": 0.5, "ents_per_type": {}}, "score": 0.5}
    log_step(info)
    log_step(None)  # a step without evaluation writes nothing
    assert json.loads(log.read_text()) == {
        "step": 10, "epoch": 1, "seconds": 3, "words": 120, "losses": {},
        "scores": {"ents_f": 0.5, "ents_per_type": {}}, "score": 0.5,
    }
    finish()


def _resume_config() -> Config:
    """CONFIG with a shared tok2vec and its listener (sourced together on resume), 40 steps
    on a warm-up + linear schedule, evaluated every 10."""
    config = Config().from_str(CONFIG, interpolate=False)
    ner = config["components"]["kgx_ner"]
    config["nlp"]["pipeline"] = ["tok2vec", "kgx_ner"]
    config["components"]["tok2vec"] = {"factory": "tok2vec", "model": ner["model"]["tok2vec"]}
    ner["model"]["tok2vec"] = {"@architectures": "spacy.Tok2VecListener.v1", "width": 32, "upstream": "*"}
    config["training"].update(max_steps=40, eval_frequency=10)
    config["training"]["optimizer"] = {
        "@optimizers": "Adam.v1",
        "learn_rate": {"@schedules": "warmup_linear.v1", "initial_rate": 0.01, "warmup_steps": 5, "total_steps": 40},
    }
    return config


# Loaded by spacy train --code: SIGKILLs the process before the update of step KILL_AT,
# so the run dies between two checkpoints, as a killed job does.
KILLER = """
import os, signal
from spacy.util import registry

@registry.callbacks("test.kill_at.v1")
def kill_at():
    def before_update(nlp, info):
        if info["step"] == int(os.environ.get("KILL_AT", "-1")):
            os.kill(os.getpid(), signal.SIGKILL)
    return before_update
"""

@pytest.fixture
def killed_run(tmp_path):
    """A run of 40 steps killed at step 25 (checkpoints at 0, 10, 20): config, output, overrides."""
    _docbin(tmp_path / "train.spacy")
    # The whole config, as ``spacy init fill-config`` writes it, plus the killer.
    config = spacy.util.load_model_from_config(_resume_config(), auto_fill=True).config
    config["training"]["before_update"] = {"@callbacks": "test.kill_at.v1"}
    config.to_disk(tmp_path / "config.cfg")
    (tmp_path / "killer.py").write_text(KILLER)
    overrides = {"paths.train": str(tmp_path / "train.spacy"), "paths.dev": str(tmp_path / "train.spacy"),
                 "training.logger.path": str(tmp_path / "out" / "train-log.jsonl")}
    command = [sys.executable, "-m", "spacy", "train", str(tmp_path / "config.cfg"), "--output", str(tmp_path / "out"),
               "--code", str(tmp_path / "killer.py")]
    for key, value in overrides.items():
        command += [f"--{key}", value]
    done = subprocess.run(command, env={**os.environ, "KILL_AT": "25"}, capture_output=True)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    return tmp_path / "config.cfg", tmp_path / "out", overrides


def _records(output):
    return [json.loads(line) for line in (output / "train-log.jsonl").read_text().splitlines()]


def test_a_killed_run_resumes_to_its_budget_and_learns_on(killed_run):
    config, output, overrides = killed_run
    assert [r["step"] for r in _records(output)] == [0, 10, 20]
    args = ["resume", str(config), str(output), "--training.before_update", "null"]
    for key, value in overrides.items():
        args += [f"--{key}", value]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "resumed from step 20" in result.output

    records = _records(output)
    assert [r["step"] for r in records] == [0, 10, 20, 30, 40]  # the resumed run's own step 0 is not logged
    for key in ("seconds", "words"):
        assert [r[key] for r in records] == sorted(r[key] for r in records)
    resumed = Config().from_disk(output / RESUMED_CONFIG)
    assert resumed["training"]["max_steps"] == 20
    assert resumed["training"]["optimizer"]["learn_rate"]["offset"] == 20
    assert resumed["components"]["kgx_ner"] == {"source": str(output / "model-last")}
    # Overfit-then-predict: 40 steps in all teach the two training sentences.
    nlp = spacy.load(output / "model-best")
    for text, ents in SENTENCES:
        assert [(e.start_char, e.end_char, e.label_) for e in nlp(text).ents] == ents
    assert not (output / PREVIOUS_BEST).exists()


def test_resumed_schedule_goes_on_where_the_run_stopped():
    whole = list(islice(warmup_linear(1.0, 5, 40), 45))
    assert list(islice(resumed_schedule(warmup_linear(1.0, 5, 40), 20), 25)) == whole[20:]


def test_resume_refuses_a_run_without_the_training_log_or_already_finished(killed_run, tmp_path):
    config, output, overrides = killed_run
    loaded = spacy.util.load_config(config, overrides=overrides, interpolate=False)
    console = spacy.util.load_config(config, overrides={**overrides, "training.logger": {"@loggers": "spacy.ConsoleLogger.v1"}})
    with pytest.raises(KgxInputError, match="kgx.TrainingLog.v1"):
        resume_config(console, output)
    finished = spacy.util.load_config(config, overrides={**overrides, "training.max_steps": 20}, interpolate=False)
    with pytest.raises(KgxInputError, match="already finished"):
        resume_config(finished, output)
    with pytest.raises(KgxInputError, match="no saved model"):
        resume_config(loaded, tmp_path / "elsewhere")


@pytest.mark.parametrize("since, kept", [(0.7, "before"), (0.9, "resumed")])
def test_the_best_model_of_the_whole_run_is_kept(tmp_path, since, kept):
    previous, best = tmp_path / PREVIOUS_BEST, tmp_path / "model-best"
    previous.mkdir()
    best.mkdir()
    (previous / "which").write_text("before")
    (best / "which").write_text("resumed")
    (previous / BEST_MARK).write_text(json.dumps({"score": 0.8, "step": 20}))
    records = [{"step": 20, "score": 0.8}, {"step": 30, "score": since}, {"step": 40, "score": 0.6}]
    settle_best(tmp_path, records)
    assert (best / "which").read_text() == kept
    assert not previous.exists() and not (best / BEST_MARK).exists()


def test_fit_config_leaves_out_the_components_the_data_has_no_labels_for(tmp_path):
    """Entities only (a graph without literal or entity-entity facts): kgx_ner stays, the
    relation classifier and attribute tagger go, with their score weights."""
    config = Config().from_str(CONFIG, interpolate=False)
    config["nlp"]["pipeline"] = ["kgx_ner", "kgx_relation_classifier", "kgx_attribute_tagger"]
    config["components"]["kgx_relation_classifier"] = {"factory": "kgx_relation_classifier"}
    config["components"]["kgx_attribute_tagger"] = {"factory": "kgx_attribute_tagger"}
    config["training"]["annotating_components"] = ["kgx_ner", "kgx_attribute_tagger"]
    config["training"]["score_weights"] = {"ents_f": 0.5, "rel_micro_f": 0.3, "attr_f": 0.2}
    config.to_disk(tmp_path / "config.cfg")
    train_path = _docbin(tmp_path / "train.spacy")
    result = CliRunner().invoke(app, ["fit-config", str(tmp_path / "config.cfg"), str(train_path), "--output", str(tmp_path / "fitted.cfg")])
    assert result.exit_code == 0, result.output
    assert "kgx_attribute_tagger: left out: no doc._.kgx_attributes" in result.output
    fitted = Config().from_disk(tmp_path / "fitted.cfg", interpolate=False)
    assert fitted["nlp"]["pipeline"] == ["kgx_ner"]
    assert set(fitted["components"]) == {"kgx_ner"}
    assert fitted["training"]["annotating_components"] == ["kgx_ner"]
    assert fitted["training"]["score_weights"] == {"ents_f": 0.5}
    assert fitted["corpora"]["train"]["path"] == "${paths.train}"  # still a config to train with overrides
    # Data with relations keeps the relation classifier.
    nlp = spacy.blank("en")
    doc = nlp.make_doc("John Smith lives in Paris .")
    doc._.kgx_relations = [{"head": [0, 2], "tail": [4, 5], "label": "Live_In"}]
    kept, dropped = fit_config(config, [doc])
    assert kept["nlp"]["pipeline"] == ["kgx_ner", "kgx_relation_classifier"] and list(dropped) == ["kgx_attribute_tagger"]


def test_fit_config_fits_the_linker_to_the_kge_and_the_schedule_to_the_budget():
    """A KGE model without entities (a graph without entity-entity facts): the linker links
    without it. A step budget stretches the learn-rate schedule and evaluates the last step."""
    config = spacy.util.load_config(Path(__file__).parents[1] / "configs" / "default_en.cfg", interpolate=False)
    doc = spacy.blank("en").make_doc("John Smith was born in Paris in 1970 .")
    doc._.kgx_relations = [{"head": [0, 2], "tail": [5, 6], "label": "birthPlace"}]
    doc._.kgx_attributes = [{"entity": [0, 2], "value": [7, 8], "attribute": "birthYear"}]
    fitted, notes = fit_config(config, [doc], kge_entities=0, max_steps=100)
    assert list(notes) == ["kgx_entity_linker"] and fitted["nlp"]["pipeline"] == config["nlp"]["pipeline"]
    assert fitted["components"]["kgx_entity_linker"]["use_kge"] is False
    training = fitted["training"]
    assert (training["max_steps"], training["eval_frequency"]) == (100, 100)  # 475 does not divide 100
    assert (training["optimizer"]["learn_rate"]["warmup_steps"], training["optimizer"]["learn_rate"]["total_steps"]) == (6, 100)
    assert config["training"]["max_steps"] == 950  # a copy
    fitted, notes = fit_config(config, [doc], kge_entities=11, max_steps=1900)
    assert not notes and fitted["components"]["kgx_entity_linker"]["use_kge"] is True
    assert (fitted["training"]["eval_frequency"], fitted["training"]["optimizer"]["learn_rate"]["warmup_steps"]) == (475, 120)


def test_fit_config_attaches_only_when_the_texts_state_a_fact_about_every_entity():
    config = spacy.util.load_config(Path(__file__).parents[1] / "configs" / "default_en.cfg", interpolate=False)
    nlp = spacy.blank("en")
    doc = nlp.make_doc("John Smith met Mary Jones in Paris .")
    doc.ents = [doc.char_span(0, 10, "ENT"), doc.char_span(15, 25, "ENT"), doc.char_span(29, 34, "ENT")]
    doc._.kgx_relations = [{"head": [0, 2], "tail": [3, 5], "label": "knows"}]
    doc._.kgx_attributes = [{"entity": [0, 2], "value": [6, 7], "attribute": "x"}]
    fitted, notes = fit_config(config, [doc])
    assert fitted["components"]["kgx_relation_classifier"]["attach_threshold"] is None
    assert "67% of the entities join a fact" in notes["kgx_relation_classifier"]
    doc._.kgx_relations = [{"head": [0, 2], "tail": [3, 5], "label": "knows"}, {"head": [0, 2], "tail": [6, 7], "label": "in"}]
    fitted, notes = fit_config(config, [doc])
    assert fitted["components"]["kgx_relation_classifier"]["attach_threshold"] == 0.0 and not notes


def test_fit_config_evaluates_a_divisor_of_the_budget():
    config = spacy.util.load_config(Path(__file__).parents[1] / "configs" / "default_en.cfg", interpolate=False)
    steps = {max_steps: fit_config(config, [], max_steps=max_steps)[0]["training"]["eval_frequency"] for max_steps in (600, 950, 997, 40)}
    assert steps == {600: 300, 950: 475, 997: 997, 40: 40}


def test_fit_config_names_the_labels_by_the_graphs_predicate_iris():
    config = spacy.util.load_config(Path(__file__).parents[1] / "configs" / "default_en.cfg", interpolate=False)
    doc = spacy.blank("en").make_doc("John Smith was born in Paris in 1970 .")
    doc._.kgx_relations = [{"head": [0, 2], "tail": [5, 6], "label": "birthPlace"}]
    doc._.kgx_attributes = [{"entity": [0, 2], "value": [7, 8], "attribute": "P569"}]
    properties = {"birthPlace": "http://schema.org/birthPlace", "P569": "http://www.wikidata.org/prop/direct/P569",
                  "unused": "http://example.org/unused"}
    fitted, notes = fit_config(config, [doc], properties=properties)
    rdf = fitted["components"]["kgx_rdf"]
    assert rdf["properties"] == {"birthPlace": "http://schema.org/birthPlace"}
    assert rdf["attributes"] == {"P569": "http://www.wikidata.org/prop/direct/P569"}
    assert "kgx_rdf" in notes
