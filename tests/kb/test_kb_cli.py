"""``kgx kb build`` and ``kgx kb lookup`` through the real app; bad input exits cleanly."""

import pytest
from typer.testing import CliRunner

from kgx_spacy.cli import app
from kgx_spacy.errors import KgxInputError
from kgx_spacy.kb import KB
from kgx_spacy.kb.build import parse_label_predicates

EX = "http://example.org/"
runner = CliRunner()


def kgx(*args):
    result = runner.invoke(app, ["kb", *map(str, args)])
    return result.exit_code, result.output


def test_build_then_lookup(ttl_file, tmp_path):
    code, out = kgx("build", ttl_file, "--output", tmp_path / "kb")
    assert code == 0, out
    assert "15 entities, 23 labels, 20 aliases, 4 relations, 5 triples, 6 types" in out
    code, out = kgx("lookup", tmp_path / "kb", "Paris", "-k", "2")
    assert code == 0, out
    rows = [line.split("\t") for line in out.splitlines()]
    assert [(row[2], row[3]) for row in rows] == [("exact", EX + "Paris"), ("exact", EX + "ParisHilton")]
    code, out = kgx("lookup", tmp_path / "kb", "Lodnon", "-k", "1")
    assert code == 0 and out.split("\t")[2:4] == ["fuzzy", EX + "London"]
    code, out = kgx("lookup", tmp_path / "kb", "Lodnon", "--no-fuzzy")
    assert code == 0 and out.strip() == "no candidates"


def test_build_options(format_files, tmp_path):
    code, out = kgx(
        "build", format_files["nq"], format_files["xml"], "-o", tmp_path / "kb",
        "--lang", "en", "--label-predicate", "rdfs:label", "-l", "skos:altLabel=0.25",
        "--local-name-labels",
    )
    assert code == 0, out
    kb = KB.from_disk(tmp_path / "kb")
    assert kb.labels_of(kb.entity_id(EX + "Honolulu")) == ["Honolulu"]
    assert kb.labels_of(kb.entity_id(EX + "Obama")) == ["Obama"]  # foaf:name not asked for
    assert kb.meta["languages"] == ["en"]
    assert kb.candidates("Paris")[1].weight == 0.25
    code, out = kgx("build", format_files["nt"], "-o", tmp_path / "kb2", "--format", "ttl")
    assert code == 0, out  # N-Triples is Turtle


def test_label_predicate_syntax():
    assert parse_label_predicates(["skos:altLabel=0.5", "http://example.org/p?a=b", "dbo:alias"]) == {
        "http://www.w3.org/2004/02/skos/core#altLabel": 0.5,
        "http://example.org/p?a=b": 1.0,
        "http://dbpedia.org/ontology/alias": 1.0,
    }
    with pytest.raises(KgxInputError, match="not an IRI"):
        parse_label_predicates(["not an iri"])


@pytest.mark.parametrize(
    "content, message",
    [
        ('@prefix ex: <http://example.org/> .\nex:a ex:b "unclosed .\n', "bad.ttl, line 2: not valid Turtle"),
        (None, "bad.ttl: no such file"),
    ],
)
def test_bad_input_exits_with_one_line(tmp_path, content, message):
    if content is not None:
        (tmp_path / "bad.ttl").write_text(content)
    code, out = kgx("build", tmp_path / "bad.ttl", "-o", tmp_path / "kb")
    assert code == 2
    assert message in out and "Traceback" not in out
    assert not (tmp_path / "kb").exists()


def test_lookup_in_a_missing_kb(tmp_path):
    code, out = kgx("lookup", tmp_path / "nothing", "Paris")
    assert code == 2 and "not a KB folder" in out
    code, out = kgx("build", tmp_path / "x.ttl", "-o", tmp_path / "kb", "-l", "bad iri")
    assert code == 2 and "--label-predicate" in out
