"""``kgx serve`` over HTTP: a real server on 127.0.0.1 (a ``kgx serve`` subprocess over the
trained pipeline, with a store; an in-process uvicorn where the test needs to hold the
pipeline back). Answers are compared with what the same pipeline gives in this process."""

import json
import threading
import time
import urllib.parse
from http.client import HTTPConnection

import pyoxigraph as ox
import pytest
import spacy
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from serve_helpers import TEXTS, free_port, http, wait_ready
from spacy.language import Language

from kgx_spacy.extensions import DOC_ID
from kgx_spacy.rdf.oxigraph import from_oxigraph
from kgx_spacy.view import doc_record

pytestmark = pytest.mark.filterwarnings(r"ignore:(Dataset\.\w+|ConjunctiveGraph) is deprecated:DeprecationWarning")
uvicorn = pytest.importorskip("uvicorn", reason="the serve extra is not installed")
from kgx_spacy.serve.app import Settings, create_app  # noqa: E402  (needs the serve extra)

ALL_QUADS = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def nlp(trained_model):
    return spacy.load(trained_model)


def local_doc(nlp, text, doc_id=None):
    doc = nlp.make_doc(text)
    doc._.set(DOC_ID, doc_id)
    return nlp(doc)


def rounded(value):
    """A record with its floats rounded, so that a batch of other texts may not tell."""
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def extract(base, body, accept=None):
    status, headers, data = http("POST", f"{base}/extract", body, {"Accept": accept} if accept else None)
    return status, headers.get("Content-Type", ""), data


def sparql(base, query, accept="application/sparql-results+json"):
    url = f"{base}/sparql?" + urllib.parse.urlencode({"query": query})
    status, headers, data = http("GET", url, headers={"Accept": accept})
    return status, headers.get("Content-Type", ""), data


def store_rows(base):
    status, _, data = sparql(base, ALL_QUADS)
    assert status == 200, data
    bindings = json.loads(data)["results"]["bindings"]
    return {tuple(json.dumps(row[v], sort_keys=True) for v in "spog") for row in bindings}


# --- the subprocess server ------------------------------------------------------------------


def test_health(served):
    base, _, _ = served
    status, _, data = http("GET", f"{base}/health")
    assert status == 200
    health = json.loads(data)
    assert health["status"] == "ready" and health["store"] is True
    assert health["pipeline"][:2] == ["entity_ruler", "transformer"]


def test_extract_one_text_and_batches(served, nlp):
    base, _, _ = served
    status, kind, data = extract(base, {"text": TEXTS[0], "id": "t0"})
    assert status == 200 and kind.startswith("application/json")
    (record,) = json.loads(data)["documents"]
    assert rounded(record) == rounded(doc_record(local_doc(nlp, TEXTS[0], "t0")))
    assert record["kgx_relations"] and record["kgx_attributes"]
    status, _, data = extract(base, {"texts": TEXTS})
    assert status == 200
    assert rounded(json.loads(data)["documents"]) == rounded([doc_record(local_doc(nlp, t)) for t in TEXTS])
    status, _, data = extract(base, {"documents": [{"id": "a", "text": TEXTS[2]}, {"id": 7, "text": TEXTS[1]}]})
    assert [(r["id"], r["text"]) for r in json.loads(data)["documents"]] == [("a", TEXTS[2]), ("7", TEXTS[1])]


def test_rdf_by_accept(served, nlp):
    base, _, _ = served
    body = {"documents": [{"id": "r0", "text": TEXTS[0]}, {"id": "r1", "text": TEXTS[1]}]}
    wanted = [local_doc(nlp, TEXTS[0], "r0")._.rdf, local_doc(nlp, TEXTS[1], "r1")._.rdf]
    status, kind, data = extract(base, body, "application/ld+json")
    assert status == 200 and kind.startswith("application/ld+json")
    answer = Dataset().parse(data=data, format="json-ld")
    for dataset in wanted:
        (graph,) = [g for g in dataset.graphs() if len(g)]
        assert isomorphic(answer.graph(graph.identifier), graph)
    status, kind, data = extract(base, body, "text/turtle;q=0.9, application/json;q=0.5")
    assert status == 200 and kind.startswith("text/turtle")
    union = Graph()
    for dataset in wanted:
        for s, p, o, _ in dataset.quads():
            union.add((s, p, o))
    assert isomorphic(Graph().parse(data=data, format="turtle"), union)
    status, _, data = extract(base, body, "image/png")
    assert status == 406 and "application/ld+json" in json.loads(data)["error"]


def test_store_write_then_sparql_sees_it(served, nlp):
    base, _, _ = served
    body = {"documents": [{"id": "s0", "text": TEXTS[0]}], "store": True}
    for _ in range(2):  # writing the document again replaces its graph
        status, _, _ = extract(base, body)
        assert status == 200
        graph_iri = "http://kg.example/document/s0"
        status, kind, data = sparql(base, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}")
        assert status == 200 and kind.startswith("application/sparql-results+json")
        wanted = local_doc(nlp, TEXTS[0], "s0")._.rdf.graph(URIRef(graph_iri))
        assert int(json.loads(data)["results"]["bindings"][0]["n"]["value"]) == len(wanted) > 0
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}"
    status, kind, data = sparql(base, query, accept="application/n-triples")
    assert status == 200 and kind.startswith("application/n-triples")
    assert isomorphic(Graph().parse(data=data, format="nt"), wanted)
    status, _, data = sparql(base, "ASK { ?x kgx:confidence ?c }")  # the default prefixes
    assert json.loads(data)["boolean"] is True


BAD_EXTRACT = [
    (b'{"text": "unclosed', "Invalid JSON"),
    (b"[1, 2]", "should be an object"),
    (b'{"text": 5, "store": true}', "text"),
    (b'{"texts": "not a list"}', "texts"),
    (b'{"texts": []}', "texts"),
    (b'{"documents": [{"text": "x", "id": true}], "store": true}', "documents.0.id"),
    (b'{"text": "x", "store": "yes"}', "store"),
    (b'{"text": "x", "texts": ["y"]}', "exactly one"),
    (b'{"texts": ["x"], "id": "a"}', "id goes with text"),
    (b'{"text": "x", "unknown": 1}', "unknown"),
    (b"\xff\xfe", "JSON"),
]
BAD_SPARQL = [
    ("GET", "INSERT DATA { GRAPH <http://x/g> { <http://x/a> <http://x/b> <http://x/c> } }", 403, "read-only"),
    ("GET", "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", 403, "read-only"),
    ("GET", "CLEAR ALL", 403, "read-only"),
    ("GET", "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }", 403, "SERVICE"),
    ("GET", "SELEC nothing", 400, "not a valid SPARQL query"),
    ("POST-update", "DROP ALL", 403, "read-only"),
]


def test_bad_requests_get_their_status_and_leave_the_store_unchanged(served):
    base, _, _ = served
    extract(base, {"documents": [{"id": "keep", "text": TEXTS[1]}], "store": True})
    before = store_rows(base)
    assert before
    for body, problem in BAD_EXTRACT:
        status, _, data = http("POST", f"{base}/extract", body, {"Content-Type": "application/json"})
        assert status == 400, body
        assert problem in json.loads(data)["error"], (body, data)
    big = json.dumps({"text": "x" * 10_000_000, "store": True}).encode()
    status, _, data = http("POST", f"{base}/extract", big, {"Content-Type": "application/json"})
    assert status == 413 and "2,000,000 bytes" in json.loads(data)["error"]
    chunked = HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=60)
    chunked.request("POST", "/extract", body=(b"x" * 500_000 for _ in range(20)), encode_chunked=True,
                    headers={"Content-Type": "application/json"})  # no Content-Length: counted as it comes
    answer = chunked.getresponse()
    assert answer.status == 413 and "error" in json.loads(answer.read())
    for method, query, wanted, problem in BAD_SPARQL:
        if method == "GET":
            status, _, data = sparql(base, query)
        else:
            status, _, data = http("POST", f"{base}/sparql", query.encode(), {"Content-Type": "application/sparql-update"})
        assert status == wanted, query
        assert problem in json.loads(data)["error"], (query, data)
    status, _, data = http("GET", f"{base}/sparql")
    assert status == 400 and "query" in json.loads(data)["error"]
    status, _, data = http("GET", f"{base}/nowhere")
    assert status == 404 and "error" in json.loads(data)
    assert store_rows(base) == before


def test_home_page_has_the_text_box(served):
    base, _, _ = served
    status, headers, data = http("GET", f"{base}/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'<form id="kgx-form">' in data and b'name="store"' in data


def test_store_holds_exactly_the_documents_written(trained_model, tmp_path):
    """Once the server stops, its store holds doc._.rdf of every document written."""
    store = ox.Store(str(tmp_path / "store"))
    with InProcess(lambda: spacy.load(trained_model), store) as base:
        wait_ready(base)
        body = {"documents": [{"id": f"d{i}", "text": t} for i, t in enumerate(TEXTS)], "store": True}
        assert extract(base, body)[0] == 200
    nlp = spacy.load(trained_model)
    stored = Dataset()
    for quad in store:
        stored.graph(from_oxigraph(quad.graph_name)).add(
            (from_oxigraph(quad.subject), from_oxigraph(quad.predicate), from_oxigraph(quad.object)))
    for i, text in enumerate(TEXTS):
        (graph,) = [g for g in local_doc(nlp, text, f"d{i}")._.rdf.graphs() if len(g)]
        assert isomorphic(stored.graph(graph.identifier), graph)
    assert len({g for *_, g in stored.quads()}) == len(TEXTS)


# --- in-process servers: a pipeline held back ------------------------------------------------


class InProcess:
    """uvicorn serving ``create_app(load, store, settings)`` on a thread, on 127.0.0.1."""

    def __init__(self, load, store=None, settings=None):
        self.base = f"http://127.0.0.1:{free_port()}"
        config = uvicorn.Config(create_app(load, store, settings), host="127.0.0.1",
                                port=int(self.base.rsplit(":", 1)[1]), log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return self.base

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=30)


@Language.component("kgx_test_slow")
def slow(doc):
    time.sleep(float(doc.text.split()[0]) if doc.text.split()[0].replace(".", "").isdigit() else 0)
    return doc


def test_503_while_loading_then_ready():
    release = threading.Event()

    def load():
        release.wait(30)
        return spacy.blank("en")

    with InProcess(load) as base:
        status, headers, data = http("POST", f"{base}/extract", {"text": "hello"})
        assert status == 503 and "loading" in json.loads(data)["error"] and headers["Retry-After"] == "1"
        assert http("GET", f"{base}/health")[0] == 503
        release.set()
        wait_ready(base, timeout=10)
        status, _, data = http("POST", f"{base}/extract", {"text": "hello"})
        assert status == 200 and json.loads(data)["documents"][0]["text"] == "hello"
        status, _, data = sparql(base, "ASK {}")
        assert status == 404 and "no store" in json.loads(data)["error"]


def test_a_pipeline_that_fails_to_load_answers_503_with_why():
    def load():
        raise OSError("no such pipeline")

    with InProcess(load) as base:
        time.sleep(0.2)
        status, _, data = http("POST", f"{base}/extract", {"text": "hello"})
        assert status == 503 and "no such pipeline" in json.loads(data)["error"]
        assert json.loads(http("GET", f"{base}/health")[2])["status"] == "failed"


def test_timeout_answers_504_and_the_server_goes_on():
    def load():
        nlp = spacy.blank("en")
        nlp.add_pipe("kgx_test_slow")
        return nlp

    with InProcess(load, settings=Settings(timeout=0.3)) as base:
        wait_ready(base)
        start = time.monotonic()
        status, _, data = http("POST", f"{base}/extract", {"text": "1 second"})
        assert status == 504 and "time limit" in json.loads(data)["error"]
        assert time.monotonic() - start < 0.9
        time.sleep(1)  # the batch already running finishes
        status, _, data = http("POST", f"{base}/extract", {"text": "0 seconds"})
        assert status == 200


def test_concurrent_requests_each_get_their_own_documents(trained_model):
    with InProcess(lambda: spacy.load(trained_model), settings=Settings(max_wait=0.05)) as base:
        wait_ready(base)
        answers = {}

        def client(n):
            for i in range(4):
                texts = [f"{TEXTS[(n + i) % 3]} client {n} request {i}"] * (1 + (n + i) % 2)
                status, _, data = http("POST", f"{base}/extract", {"texts": texts})
                answers[(n, i)] = (status, texts, [r["text"] for r in json.loads(data)["documents"]])

        threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(answers) == 24
    for status, texts, got in answers.values():
        assert status == 200 and got == texts
