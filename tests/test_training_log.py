"""``kgx.TrainingLog.v1``: a real ``spacy train`` run logs its dev curve, flushed per line."""

import json

import spacy
from spacy.cli.train import train
from spacy.tokens import DocBin

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
