"""``kgx convert``: files and a report on success; one clear line and an error exit on bad input."""

from typer.testing import CliRunner

from kgx_spacy.cli import app


def test_convert_command_writes_split_files(tiny_data, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["convert", "deepke-re", str(out), "--split", "test", "--data-dir", str(tiny_data)]
    )
    assert result.exit_code == 0, result.output
    assert "deepke-re/test: 1 docs, 2 entities, 2 relations" in result.output
    assert "dropped: ents.overlap 1" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["test.report.json", "test.spacy"]


def test_convert_command_fails_cleanly_on_bad_input(tiny_data, tmp_path):
    path = tiny_data / "conll04" / "conll04_test.json"
    path.write_text('[{"tokens": ["a"], ', encoding="utf-8")
    out = str(tmp_path / "out")
    result = CliRunner().invoke(
        app, ["convert", "conll04", out, "-s", "test", "--data-dir", str(tiny_data)]
    )
    assert result.exit_code != 0
    assert "conll04_test.json, line 1, column 20: malformed JSON" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
