"""``kgx extract``: a saved pipeline over texts → RDF files, the embedded store, an endpoint.

The pipeline is tiny (blank English + entity_ruler + kgx_rdf), so every test is quick; the
reference RDF is always ``doc._.rdf`` of the same pipeline run in this process.
"""

import gc
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
import spacy
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from typer.testing import CliRunner

import kgx_spacy.extract as extract_module
from kgx_spacy.cli import app
from kgx_spacy.extract import load_pipeline, pipeline_mapping
from kgx_spacy.iris import document_iri
from kgx_spacy.rdf.oxigraph import from_oxigraph

pytestmark = pytest.mark.filterwarnings(
    r"ignore:(Dataset\.\w+|ConjunctiveGraph) is deprecated:DeprecationWarning"
)

BASE = "http://kg.example/"
PATTERNS = [
    {"label": "PERSON", "pattern": "Ada Lovelace"},
    {"label": "PERSON", "pattern": [{"LOWER": "charles"}, {"LOWER": "babbage"}]},
    {"label": "GPE", "pattern": "London"},
]
TEXTS = [
    "Ada Lovelace met Charles Babbage in London.",
    "Charles Babbage lived in London.",
    'A text with "quotes", a backslash \\ and\na newline; no entities.',
    "Ada Lovelace wrote the first program.",
]


def build_pipeline(with_rdf: bool = True):
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(PATTERNS)
    if with_rdf:
        nlp.add_pipe(
            "kgx_rdf",
            config={"base_iri": BASE, "classes": {"PERSON": "http://schema.org/Person"}},
        )
    return nlp


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pipeline") / "model"
    build_pipeline().to_disk(path)
    return path


@pytest.fixture(scope="module")
def nlp(model):
    return spacy.load(model)


def doc_rdf(nlp, text, doc_id=None) -> Dataset:
    """What Python gives for one text: ``nlp(text)._.rdf`` with the document id set."""
    doc = nlp(text)
    doc._.kgx_doc_id = doc_id
    return doc._.rdf


def expected(nlp, items) -> Dataset:
    """The union of ``doc._.rdf`` over ``(text, id)`` items, graph by graph."""
    dataset = Dataset()
    for text, doc_id in items:
        for s, p, o, g in doc_rdf(nlp, text, doc_id).quads():
            dataset.graph(g.identifier if isinstance(g, Graph) else g).add((s, p, o))
    return dataset


def graph_names(dataset: Dataset) -> set:
    return {
        g.identifier for g in dataset.graphs()
        if len(g) and g.identifier != DATASET_DEFAULT_GRAPH_ID
    }


def assert_same_dataset(actual: Dataset, wanted: Dataset) -> None:
    """Same named graphs, each isomorphic; nothing in the default graph."""
    assert len(actual.default_graph) == 0
    assert graph_names(actual) == graph_names(wanted)
    for name in graph_names(wanted):
        assert isomorphic(actual.graph(name), wanted.graph(name)), name


def union(dataset: Dataset) -> Graph:
    graph = Graph()
    for s, p, o, _ in dataset.quads():
        graph.add((s, p, o))
    return graph


def quad_set(dataset: Dataset) -> set:
    return {(s, p, o, g.identifier if isinstance(g, Graph) else g) for s, p, o, g in dataset.quads()}


def store_dataset(path: Path) -> Dataset:
    store = ox.Store.read_only(str(path))
    dataset = Dataset()
    for quad in store:
        dataset.graph(from_oxigraph(quad.graph_name)).add(
            (from_oxigraph(quad.subject), from_oxigraph(quad.predicate), from_oxigraph(quad.object))
        )
    return dataset


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def records(n=len(TEXTS), start=0):
    return [{"id": f"d{i}", "text": TEXTS[i % len(TEXTS)] + f" ({i})"} for i in range(start, start + n)]


def items(recs):
    return [(r["text"], r["id"]) for r in recs]


def extract(*args, input=None):
    result = CliRunner().invoke(app, ["extract", *map(str, args)], input=input)
    return result


def committed(progress: Path) -> list:
    """The documents of every complete batch line of a progress file, in order."""
    if not progress.exists():
        return []
    docs = []
    for line in progress.read_text(encoding="utf-8").splitlines()[1:]:
        try:
            docs.extend(json.loads(line)["documents"])
        except ValueError:
            break
    return docs


def iri(doc_id: str) -> str:
    return f"{BASE}document/{doc_id}"


# --- inputs ------------------------------------------------------------------------------


def test_folder_of_txt_and_jsonl_files(model, nlp, tmp_path):
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(TEXTS[0], encoding="utf-8")
    (folder / "sub" / "b.txt").write_text(TEXTS[1], encoding="utf-8")
    (folder / "notes.md").write_text("not an input", encoding="utf-8")
    write_jsonl(folder / "sub" / "c.jsonl", [{"id": "j1", "text": TEXTS[2]}])
    single = tmp_path / "single.txt"
    single.write_text(TEXTS[3], encoding="utf-8")
    result = extract(model, folder, single, "-o", tmp_path / "out.nq", "-q")
    assert result.exit_code == 0, result.output
    assert "extracted 4 documents" in result.stdout
    actual = Dataset().parse(tmp_path / "out.nq", format="nquads")
    wanted = expected(
        nlp, [(TEXTS[0], "a.txt"), (TEXTS[1], "sub/b.txt"), (TEXTS[2], "j1"), (TEXTS[3], "single.txt")]
    )
    assert graph_names(wanted) == {
        URIRef(iri(x)) for x in ("a.txt", "sub%2Fb.txt", "j1", "single.txt")
    }
    assert_same_dataset(actual, wanted)
    # folders are read in sorted order: a.txt, sub/b.txt, sub/c.jsonl, then single.txt
    order = [line.split()[0] for line in (tmp_path / "out.nq").read_text().splitlines()]
    firsts = list(dict.fromkeys(s for s in order if "/document/" in s and "#" not in s))
    assert firsts == [f"<{iri(x)}>" for x in ("a.txt", "sub%2Fb.txt", "j1", "single.txt")]


@pytest.mark.parametrize("fmt", ["ttl", "nt", "nq", "trig", "jsonld"])
def test_every_file_format_is_doc_rdf(model, nlp, tmp_path, fmt):
    recs = records()
    source = write_jsonl(tmp_path / "in.jsonl", recs)
    out = tmp_path / f"out.{fmt}"
    result = extract(model, source, "--output", out, "--batch-size", 3, "-q")
    assert result.exit_code == 0, result.output
    wanted = expected(nlp, items(recs))
    n_quads = len(quad_set(wanted))
    assert f"extracted {len(recs)} documents, {n_quads} triples to {out}" in result.stdout
    rdflib_format = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld"}
    if fmt in ("nq", "trig", "jsonld"):
        assert_same_dataset(Dataset().parse(out, format=rdflib_format[fmt]), wanted)
    else:
        assert isomorphic(Graph().parse(out, format=rdflib_format[fmt]), union(wanted))


def test_format_option_overrides_the_extension(model, nlp, tmp_path):
    recs = records(2)
    source = write_jsonl(tmp_path / "in.jsonl", recs)
    result = extract(model, source, "-o", tmp_path / "out.rdf", "-f", "nt", "-q")
    assert result.exit_code == 0, result.output
    assert isomorphic(Graph().parse(tmp_path / "out.rdf", format="nt"), union(expected(nlp, items(recs))))


def test_jsonl_fields_ids_and_hash_named_documents(model, nlp, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"key": 7, "body": TEXTS[0]}) + "\n\n"  # an integer id; a blank line
        + json.dumps({"body": TEXTS[1]}) + "\n"  # no id: named by a hash of the text
        + json.dumps({"key": None, "body": TEXTS[2]}) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.trig"
    result = extract(model, source, "--id-field", "key", "--text-field", "body", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    wanted = expected(nlp, [(TEXTS[0], "7"), (TEXTS[1], None), (TEXTS[2], None)])
    assert URIRef(iri("7")) in graph_names(wanted)
    assert sum("/document/sha1-" in name for name in graph_names(wanted)) == 2
    assert_same_dataset(Dataset().parse(out, format="trig"), wanted)


def test_parquet_rows_with_and_without_ids(model, nlp, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed (pip install 'kgx-spacy[ray]')")
    import pyarrow as pa

    pq.write_table(
        pa.table({"key": [7, 8, None], "body": TEXTS[:3]}), tmp_path / "a.parquet", row_group_size=2
    )
    pq.write_table(pa.table({"body": [TEXTS[3]]}), tmp_path / "b.parquet")  # no id column
    out = tmp_path / "out.trig"
    result = extract(model, tmp_path, "--id-field", "key", "--text-field", "body", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    wanted = expected(nlp, [(TEXTS[0], "7"), (TEXTS[1], "8"), (TEXTS[2], None), (TEXTS[3], None)])
    assert_same_dataset(Dataset().parse(out, format="trig"), wanted)


@pytest.mark.parametrize(
    "columns, message",
    [
        ({"id": ["a", "b"], "text": ["x", None]}, "bad.parquet, row 2: column 'text' is not a string"),
        ({"id": ["a", "a"], "text": ["x", "y"]}, "bad.parquet, row 2: document id 'a' is used twice"),
        ({"id": [1.5], "text": ["x"]}, "bad.parquet, row 1: column 'id' is not a string or an integer"),
        ({"id": ["a"], "body": ["x"]}, "bad.parquet: no 'text' column (see --text-field)"),
    ],
)
def test_bad_parquet_rows(model, tmp_path, columns, message):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed (pip install 'kgx-spacy[ray]')")
    import pyarrow as pa

    pq.write_table(pa.table(columns), tmp_path / "bad.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    result = extract(model, tmp_path / "bad.parquet", "-o", tmp_path / "out.nq", "-q")
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "out.nq").exists()
    junk = extract(model, tmp_path / "junk.parquet", "-o", tmp_path / "out.nq", "-q")
    assert junk.exit_code == 2 and "junk.parquet: not a Parquet file" in junk.output


def test_stdin_as_one_text(model, nlp, tmp_path):
    text = "\ufeff" + TEXTS[0] + "\nAnd a second line about London.\n"
    out = tmp_path / "out.nq"
    result = extract(model, "-", "-o", out, "-q", input=text.encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert "extracted 1 documents" in result.stdout
    wanted = expected(nlp, [(text[1:], None)])  # the BOM is dropped
    assert_same_dataset(Dataset().parse(out, format="nquads"), wanted)


def test_stdin_as_json_lines(model, nlp, tmp_path):
    recs = records(3)
    lines = "".join(json.dumps(r) + "\n" for r in recs)
    out = tmp_path / "out.nq"
    result = extract(model, "-", "--stdin-format", "jsonl", "-o", out, "-q", input=lines)
    assert result.exit_code == 0, result.output
    assert_same_dataset(Dataset().parse(out, format="nquads"), expected(nlp, items(recs)))


def test_python_and_cli_agree_text_by_text(model, nlp, tmp_path):
    """``nlp(text)._.rdf`` in Python is exactly what the CLI writes for the same text and id."""
    for i, text in enumerate(TEXTS):
        source = write_jsonl(tmp_path / f"one{i}.jsonl", [{"id": f"t{i}", "text": text}])
        out = tmp_path / f"one{i}.nq"
        assert extract(model, source, "-o", out, "-q").exit_code == 0
        python = doc_rdf(nlp, text, f"t{i}")
        name = URIRef(iri(f"t{i}"))
        assert isomorphic(Dataset().parse(out, format="nquads").graph(name), python.graph(name))


def test_a_pipeline_without_kgx_rdf_uses_the_default_mapping(tmp_path):
    bare = build_pipeline(with_rdf=False)
    bare.to_disk(tmp_path / "bare")
    source = write_jsonl(tmp_path / "in.jsonl", records(2))
    out = tmp_path / "out.nq"
    result = extract(tmp_path / "bare", source, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    actual = Dataset().parse(out, format="nquads")
    assert graph_names(actual) == {URIRef(f"http://example.org/kgx/document/d{i}") for i in (0, 1)}
    assert_same_dataset(actual, expected(bare, items(records(2))))


def test_several_processes_give_the_same_graphs(model, nlp, tmp_path):
    recs = records(12)
    source = write_jsonl(tmp_path / "in.jsonl", recs)
    out = tmp_path / "out.nq"
    result = extract(model, source, "-o", out, "--n-process", 2, "--batch-size", 2, "-q")
    assert result.exit_code == 0, result.output
    assert_same_dataset(Dataset().parse(out, format="nquads"), expected(nlp, items(recs)))


# --- stores, endpoints, progress -----------------------------------------------------------


def test_default_target_is_the_store_and_resume_skips(model, nlp, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recs = records(7)
    write_jsonl(tmp_path / "in.jsonl", recs)
    result = extract(model, "in.jsonl", "--batch-size", 3)
    assert result.exit_code == 0, result.output
    wanted = expected(nlp, items(recs))
    n_quads = len(quad_set(wanted))
    assert f"extracted 7 documents, {n_quads} triples to kgx-store" in result.stdout
    assert "documents/s" in result.stderr  # the progress display
    assert quad_set(store_dataset(tmp_path / "kgx-store")) == quad_set(wanted)
    assert committed(tmp_path / "kgx-store.progress.jsonl") == [iri(r["id"]) for r in recs]
    # again without --resume: everything is redone and replaces itself
    again = extract(model, "in.jsonl", "--batch-size", 3, "-q")
    assert again.exit_code == 0 and "extracted 7 documents" in again.stdout
    assert quad_set(store_dataset(tmp_path / "kgx-store")) == quad_set(wanted)
    # more documents, with --resume: only the new ones go through the pipeline
    more = records(10)
    write_jsonl(tmp_path / "in.jsonl", more)
    piped = []

    def load_counting(name, gpu_id, quantize):
        loaded = load_pipeline(name, gpu_id, quantize)
        pipe = loaded.pipe

        def counting(docs, **kwargs):
            return pipe((piped.append(doc._.kgx_doc_id) or doc for doc in docs), **kwargs)

        loaded.pipe = counting
        return loaded

    monkeypatch.setattr(extract_module, "load_pipeline", load_counting)
    resumed = extract(model, "in.jsonl", "--batch-size", 3, "--resume", "-q")
    assert resumed.exit_code == 0, resumed.output
    assert piped == ["d7", "d8", "d9"]
    assert "extracted 3 documents" in resumed.stdout
    assert "skipped 7 documents committed by an earlier run" in resumed.stdout
    assert quad_set(store_dataset(tmp_path / "kgx-store")) == quad_set(expected(nlp, items(more)))


def test_resume_refuses_another_models_progress_file(model, tmp_path):
    other = tmp_path / "other"
    build_pipeline().to_disk(other)
    source = write_jsonl(tmp_path / "in.jsonl", records(2))
    store = tmp_path / "store"
    assert extract(model, source, "--store", store, "-q").exit_code == 0
    result = extract(other, source, "--store", store, "--resume", "-q")
    assert result.exit_code == 2
    assert "store.progress.jsonl, line 1: progress file is for" in result.output
    assert str(other.resolve()) in result.output


def _wait_for_batches(progress: Path, process: subprocess.Popen, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(committed(progress)) < n:
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the run ended before it could be killed: {out!r} {err!r}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("no batch was committed in time")
        time.sleep(0.001)


@pytest.mark.slow  # two real runs of the CLI
def test_resume_after_sigkill_finishes_without_duplicates(model, nlp, tmp_path):
    n = 400
    recs = records(n)
    source = write_jsonl(tmp_path / "in.jsonl", recs)
    store = tmp_path / "store"
    progress = store.with_name("store.progress.jsonl")
    command = [
        sys.executable, "-m", "kgx_spacy.cli", "extract", str(model), str(source),
        "--store", str(store), "--batch-size", "4", "--resume", "--quiet",
    ]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    _wait_for_batches(progress, first, 1, timeout=120)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert first.returncode == -signal.SIGKILL
    done = committed(progress)
    assert 0 < len(done) < n, "the kill must land in the middle of the run"
    assert done == [iri(f"d{i}") for i in range(len(done))]

    second = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert second.returncode == 0, second.stderr
    assert f"extracted {n - len(done)} documents" in second.stdout
    assert f"skipped {len(done)} documents committed by an earlier run" in second.stdout
    # every document is committed exactly once over the two runs
    assert committed(progress) == [iri(f"d{i}") for i in range(n)]
    wanted = expected(nlp, items(recs))
    actual = store_dataset(store)
    assert graph_names(actual) == graph_names(wanted)
    assert len(actual.default_graph) == 0
    assert quad_set(actual) == quad_set(wanted)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def oxigraph_server(tmp_path):
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(binary).exists():
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "serve", "--location", str(tmp_path / "server"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/query?query=ASK%7B%7D", timeout=1):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("oxigraph serve did not start")
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("protocol", ["update", "gsp"])
def test_endpoint_target(model, nlp, tmp_path, oxigraph_server, protocol):
    recs = records(5)
    source = write_jsonl(tmp_path / "in.jsonl", recs)
    progress = tmp_path / "p.jsonl"
    result = extract(
        model, source, "--endpoint", f"{oxigraph_server}/query", "--protocol", protocol,
        "--update-url", f"{oxigraph_server}/{'update' if protocol == 'update' else 'store'}",
        "--batch-size", 2, "--progress", progress, "-q",
    )
    assert result.exit_code == 0, result.output
    assert committed(progress) == [iri(r["id"]) for r in recs]
    body = urllib.request.urlopen(
        urllib.request.Request(
            f"{oxigraph_server}/store", headers={"Accept": "application/n-quads"}
        ), timeout=10,
    ).read().decode("utf-8")
    actual = Dataset().parse(data=body, format="nquads")
    assert_same_dataset(actual, expected(nlp, items(recs)))


# --- bad input -----------------------------------------------------------------------------


def test_malformed_line_fails_cleanly_and_keeps_committed_batches(model, nlp, tmp_path):
    recs = records(30)
    source = tmp_path / "in.jsonl"
    lines = [json.dumps(r) for r in recs]
    lines[22] = '{"id": "d22", "text": "cut short'
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    result = extract(model, source, "--store", store, "--batch-size", 5, "-q")
    assert result.exit_code == 2
    assert f"error: {source}, line 23: not valid JSON" in result.output
    assert "Traceback" not in result.output
    done = committed(tmp_path / "store.progress.jsonl")
    assert 5 <= len(done) <= 22 and len(done) % 5 == 0
    assert done == [iri(f"d{i}") for i in range(len(done))]
    kept = recs[: len(done)]
    assert quad_set(store_dataset(store)) == quad_set(expected(nlp, items(kept)))
    # in this process the failed run's traceback still holds the store open (a CLI run exits)
    del result
    gc.collect()
    # fixed and resumed: the committed batches are not redone
    source.write_text("\n".join(json.dumps(r) for r in recs) + "\n", encoding="utf-8")
    resumed = extract(model, source, "--store", store, "--batch-size", 5, "--resume", "-q")
    assert resumed.exit_code == 0, resumed.output
    assert f"extracted {30 - len(done)} documents" in resumed.stdout
    assert quad_set(store_dataset(store)) == quad_set(expected(nlp, items(recs)))


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"id": "a", "text": "fine"}\n{"id": "b", "body": "x"}\n', "line 2: no 'text' field"),
        (b'{"id": "a", "text": 3}\n', "line 1: field 'text' is not a string"),
        (b'{"id": "a", "text": "x"}\n["a list"]\n', "line 2: a line must hold a JSON object"),
        (b'{"id": ["x"], "text": "x"}\n', "line 1: field 'id' is not a string or an integer"),
        (b'{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', "line 2: document id 'a' is used twice"),
        (b'{"id": "a", "text": "x"}\n{"id": "b", "text": "caf\xe9"}\n', "line 2: not valid UTF-8 (byte 0xe9)"),
    ],
)
def test_bad_jsonl_records(model, tmp_path, content, message):
    source = tmp_path / "in.jsonl"
    source.write_bytes(content)
    out = tmp_path / "out.nq"
    result = extract(model, source, "-o", out, "-q")
    assert result.exit_code == 2, result.output
    assert f"error: {source}, {message}" in result.output
    assert not out.exists()  # a file output is all or nothing
    assert not list(tmp_path.glob(".out.nq.*"))


def test_non_utf8_text_file(model, tmp_path):
    (tmp_path / "corpus").mkdir()
    bad = tmp_path / "corpus" / "bad.txt"
    bad.write_bytes(b"first line\nsecond \xff line\n")
    out = tmp_path / "out.nq"
    out.write_text("old complete file", encoding="utf-8")
    result = extract(model, tmp_path / "corpus", "-o", out, "-q")
    assert result.exit_code == 2
    assert f"error: {bad}, line 2: not valid UTF-8 (byte 0xff" in result.output
    assert out.read_text(encoding="utf-8") == "old complete file"  # left as it was


def test_non_utf8_stdin(model, tmp_path):
    result = extract(model, "-", "-o", tmp_path / "out.nq", "-q", input=b"ok\n\xc3(\n")
    assert result.exit_code == 2
    assert "error: <stdin>, line 2: not valid UTF-8 (byte 0xc3)" in result.output


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(model, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", records(1))
    source.chmod(0)
    result = extract(model, source, "-o", tmp_path / "out.nq", "-q")
    assert result.exit_code == 2
    assert f"error: {source}: cannot read the file (Permission denied)" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["{model}", "missing.jsonl"], "missing.jsonl: no such file or folder"),
        (["{model}", "in.csv"], "in.csv: not a .txt, .jsonl or .parquet file"),
        (["{model}", "empty"], "empty: folder holds no .txt, .jsonl or .parquet files"),
        (["{model}", "-", "-"], "-: stdin can be read only once"),
        (["no-such-model", "in.jsonl"], "no-such-model: cannot load the pipeline"),
        (["{model}", "in.jsonl", "-o", "x.nq", "--store", "s"], "kgx extract: choose one target"),
        (["{model}", "in.jsonl", "--format", "ttl"], "--format: needs --output FILE"),
        (["{model}", "in.jsonl", "-o", "x.rdf"], "unknown RDF format None"),
    ],
)
def test_bad_usage_fails_before_writing(model, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "in.jsonl", records(1))
    (tmp_path / "in.csv").write_text("id,text\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    result = extract(*[a.format(model=model) for a in args], "-q")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "kgx-store").exists()
    assert not (tmp_path / "kgx-store.progress.jsonl").exists()


def test_unreachable_endpoint_fails_before_loading_the_model(tmp_path):
    port = _free_port()
    source = write_jsonl(tmp_path / "in.jsonl", records(1))
    result = extract("no-such-model", source, "--endpoint", f"http://127.0.0.1:{port}/update", "-q")
    assert result.exit_code == 2
    assert "cannot connect to 127.0.0.1" in result.output
    assert "cannot load the pipeline" not in result.output


def test_doc_iri_without_running_the_pipeline(nlp):
    """Resume decides what to skip before the pipeline runs: its IRIs must be the Docs'."""
    mapping = pipeline_mapping(nlp)
    assert mapping.base_iri == BASE
    for text, doc_id in [(TEXTS[0], "x y/z"), (TEXTS[2], None), ("", None)]:
        doc = nlp(text)
        doc._.kgx_doc_id = doc_id
        assert graph_names(doc._.rdf) == {URIRef(document_iri(mapping.base_iri, text, doc_id))}
