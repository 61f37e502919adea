"""``kgx export``: DocBins in, files / embedded store / endpoint out, clean errors."""

import pyoxigraph as ox
import pytest
from rdf_helpers import (
    assert_same_dataset,
    expected_dataset,
    free_port,
    make_doc,
    server_count,
    store_dataset,
    union_graph,
)
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic
from spacy.tokens import DocBin
from typer.testing import CliRunner

from kgx_spacy.cli import app
from kgx_spacy.rdf.mapping import RDFMapping

runner = CliRunner()


def docs(offset=0, n=3):
    return [
        make_doc(
            ["Ada", "Lovelace", "met", "Charles", "Babbage", f"#{i}", "."],
            [(0, 2, "Peop"), (3, 5, "Peop")],
            [((0, 2), (3, 5), "Meet")],
            doc_id=f"d{i}",
        )
        for i in range(offset, offset + n)
    ]


@pytest.fixture
def inputs(tmp_path):
    """Two DocBin files in a folder (one nested): 3 + 2 documents."""
    folder = tmp_path / "corpus"
    (folder / "more").mkdir(parents=True)
    DocBin(docs=docs(0, 3), store_user_data=True).to_disk(folder / "a.spacy")
    DocBin(docs=docs(3, 2), store_user_data=True).to_disk(folder / "more" / "b.spacy")
    return folder


def export(*args):
    result = runner.invoke(app, ["export", *map(str, args)])
    return result.exit_code, result.output  # stdout and stderr, as a terminal shows them


def test_file_export_with_gold_provenance(inputs, tmp_path):
    code, out = export(inputs, "--output", tmp_path / "gold.trig", "--gold")
    assert code == 0, out
    assert "wrote 5 documents" in out
    actual = Dataset().parse(tmp_path / "gold.trig", format="trig")
    assert_same_dataset(actual, expected_dataset(docs(0, 5), RDFMapping.gold()))


def test_format_overrides_the_extension(inputs, tmp_path):
    base = ["--base-iri", "http://kg.example/"]
    code, out = export(inputs / "a.spacy", "-o", tmp_path / "out.rdf", "-f", "nt", *base)
    assert code == 0, out
    expected = expected_dataset(docs(0, 3), RDFMapping(base_iri="http://kg.example/"))
    actual = Graph().parse(tmp_path / "out.rdf", format="nt")
    assert isomorphic(actual, union_graph(expected))


def test_default_target_is_the_embedded_store(inputs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out = export(inputs)
    assert code == 0, out
    assert "kgx-store" in out
    code, out = export(inputs, "--resume")
    assert code == 0 and "wrote 0 documents" in out and "skipped 5" in out
    store = ox.Store(str(tmp_path / "kgx-store"))
    assert_same_dataset(store_dataset(store), expected_dataset(docs(0, 5)))


def test_endpoint_export_prints_counts(inputs, tmp_path, endpoint, oxigraph_server):
    progress = tmp_path / "progress.jsonl"
    code, out = export(
        inputs, "--endpoint", endpoint.url, "--update-url", f"{oxigraph_server}/update",
        "--batch-size", 2, "--progress", progress,
    )
    assert code == 0, out
    quads = len(list(expected_dataset(docs(0, 5)).quads()))
    assert f"wrote 5 documents, {quads} quads" in out
    assert server_count(endpoint) == quads


def test_unreachable_endpoint_is_one_clear_line(inputs, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/update"
    code, out = export(inputs, "--endpoint", url, "--progress", tmp_path / "p.jsonl")
    assert code == 2
    assert out.strip().splitlines() == [
        f"error: {url}: cannot connect to 127.0.0.1:{port} (Connection refused); "
        "is the endpoint running?"
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.spacy"], "missing.spacy: no such file or folder"),
        (["--format", "ttl"], "--format: needs --output FILE"),
        (["-o", "x.ttl", "--resume"], "--resume: applies to --store and --endpoint only"),
        (["-o", "x.rdf"], "unknown RDF format None"),
        (["-o", "x.nq", "--store", "s"], "choose one target: --output, --store or --endpoint"),
        (["--lang", "xx-nope"], "--lang: spaCy has no language 'xx-nope'"),
    ],
)
def test_bad_usage_fails_cleanly(inputs, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    first = [] if args[0] == "missing.spacy" else [inputs]
    code, out = export(*first, *args)
    assert code == 2
    assert message in out
    assert "Traceback" not in out
    assert not (tmp_path / "kgx-store").exists()  # nothing is created before the input is read


def test_a_file_that_is_not_a_docbin(tmp_path):
    (tmp_path / "bad.spacy").write_text("not a docbin")
    code, out = export(tmp_path / "bad.spacy", "-o", tmp_path / "out.nq")
    assert code == 2 and "not a DocBin file" in out
    assert not (tmp_path / "out.nq").exists()


def test_query_the_exported_store(inputs, tmp_path):
    store = tmp_path / "store"
    assert export(inputs, "--gold", "--store", store)[0] == 0
    sparql = "SELECT ?component (COUNT(*) AS ?n) WHERE { ?s kgx:component ?component } GROUP BY ?component"
    result = CliRunner().invoke(app, ["query", sparql, "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "gold" in result.output
    bad = CliRunner().invoke(app, ["query", "SELECT ?x WHERE { ?x ?y }", "--store", str(store)])
    assert bad.exit_code == 2 and "not valid SPARQL" in bad.output
    missing = CliRunner().invoke(app, ["query", sparql, "--store", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no store here" in missing.output
