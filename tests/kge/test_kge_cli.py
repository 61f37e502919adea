"""``kgx kge train`` and ``kgx kge eval`` on tiny files; bad input is one clear line."""

import json

import pytest
from typer.testing import CliRunner

from kgx_spacy.cli import app
from kgx_spacy.errors import KgxInputError
from kgx_spacy.kb.build import build_kb
from kgx_spacy.kge import KGEModel
from kgx_spacy.linking.graph import LinkingGraph

TRAIN = ["--dim", "8", "--epochs", "40", "--batch-size", "16", "--n3", "0.001", "--patience", "0"]


def test_train_then_eval(tsv_files, tmp_path):
    train, test = tsv_files
    out = tmp_path / "model"
    result = CliRunner().invoke(app, ["kge", "train", str(train), "--valid", str(test), "-o", str(out), *TRAIN])
    assert result.exit_code == 0, result.output
    assert "epoch 40: loss" in result.output and "valid: mrr" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["entities.npy", "kge.json", "relations.npy", "training.json"]
    assert json.loads((out / "training.json").read_text())["config"]["epochs"] == 40

    result = CliRunner().invoke(app, ["kge", "eval", str(out), str(test), "--filter", str(train)])
    assert result.exit_code == 0, result.output
    mrr = float(result.output.split()[1])
    assert result.output.startswith("mrr ") and mrr > 0.9


def test_bad_input_fails_cleanly(tsv_files, tmp_path):
    train, test = tsv_files
    out = tmp_path / "model"
    bad = tmp_path / "bad.tsv"
    bad.write_text("a0\tspouse\tb0\na0 spouse b1\n")
    result = CliRunner().invoke(app, ["kge", "train", str(bad), "-o", str(out), *TRAIN])
    assert result.exit_code == 2
    assert "bad.tsv, line 2: expected 3 non-empty tab-separated fields" in result.output
    assert "Traceback" not in result.output and not out.exists()

    assert CliRunner().invoke(app, ["kge", "train", str(train), "-o", str(out), "--epochs", "1", "--dim", "2"]).exit_code == 0
    unknown = tmp_path / "unknown.tsv"
    unknown.write_text("a0\tspouse\tb0\nnobody\tspouse\tb0\n")
    result = CliRunner().invoke(app, ["kge", "eval", str(out), str(unknown)])
    assert result.exit_code == 2
    assert "unknown.tsv, line 2: unknown entity 'nobody'" in result.output


def test_a_graph_without_entity_entity_triples_says_how_to_link_without_it(tmp_path):
    """Labels and literals only: the model is empty, and both the command and a linker
    given it say to turn use_kge off."""
    graph = tmp_path / "graph.ttl"
    graph.write_text(
        '<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "A" ;\n'
        '    <http://example.org/born> "1970-05-12"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
    )
    out = tmp_path / "model"
    result = CliRunner().invoke(app, ["kge", "train", str(graph), "-o", str(out), "--epochs", "1", "--dim", "2"])
    assert result.exit_code == 0, result.output
    assert "holds no entity-entity triples" in result.output and "use_kge = false" in result.output
    with pytest.raises(KgxInputError, match="embeds no entity .* use_kge = false"):
        LinkingGraph(build_kb([graph]), KGEModel.from_disk(out))


def test_a_checkpointed_run_continues_with_more_epochs(tsv_files, tmp_path):
    train, test = tsv_files
    out, checkpoint = tmp_path / "model", tmp_path / "checkpoint"
    args = ["kge", "train", str(train), "--valid", str(test), "-o", str(out), "--checkpoint", str(checkpoint),
            "--eval-every", "5", "--patience", "100", "--dim", "8", "--batch-size", "16", "--n3", "0.001"]
    assert CliRunner().invoke(app, [*args, "--epochs", "10"]).exit_code == 0
    result = CliRunner().invoke(app, [*args, "--epochs", "20"])
    assert result.exit_code == 0, result.output
    assert "continuing from the checkpoint" in result.output
    assert "epoch 10:" not in result.output and "epoch 11: loss" in result.output and "epoch 15: loss" in result.output
    record = json.loads((out / "training.json").read_text())
    assert len(record["losses"]) == 20 and [e for e, _ in record["valid_mrr"]] == [5, 10, 15, 20]
    changed = CliRunner().invoke(app, [*args, "--epochs", "30", "--lr", "0.5"])
    assert changed.exit_code == 2 and "another training configuration (lr differ)" in changed.output


def test_a_time_budget_stops_the_run(tsv_files, tmp_path):
    train, _ = tsv_files
    out = tmp_path / "model"
    args = ["kge", "train", str(train), "-o", str(out), "--dim", "4", "--epochs", "50", "--max-seconds", "1e-6"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "training.json").read_text())
    assert len(record["losses"]) == 1 and record["stopped_by"] == "max_seconds"


def test_validation_stops_early_by_default(tsv_files, tmp_path):
    """With --valid the defaults validate every 2 epochs and stop after 3 without a better MRR."""
    train, test = tsv_files
    out = tmp_path / "model"
    args = ["kge", "train", str(train), "--valid", str(test), "-o", str(out), "--dim", "8", "--epochs", "200",
            "--batch-size", "16"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "training.json").read_text())
    epochs = [e for e, _ in record["valid_mrr"]]
    assert record["stopped_by"] == "patience" and epochs == list(range(2, epochs[-1] + 1, 2)) and epochs[-1] < 200
    assert epochs[-1] - record["best_epoch"] == 6
