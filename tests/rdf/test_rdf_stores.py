"""Stores: the embedded Oxigraph store and a real Oxigraph server, with faults on the way."""

import json
import threading
import time

import pyoxigraph as ox
import pytest
from rdf_helpers import (
    assert_same_dataset,
    expected_dataset,
    free_port,
    make_doc,
    server_count,
    server_dataset,
    store_dataset,
)

from kgx_spacy.errors import KgxInputError, KgxStoreError
from kgx_spacy.rdf.mapping import RDFMapping
from kgx_spacy.rdf.sparql import SparqlEndpoint, write_endpoint
from kgx_spacy.rdf.store import QUEUED_BATCHES, Progress, write_batches, write_store

PROTOCOLS = ["update", "gsp"]


def docs(n=10):
    """``n`` small documents; every third shares its entities with the others."""
    out = []
    for i in range(n):
        person = ["Ada", "Lovelace"] if i % 3 == 0 else [f"Person{i}", "Smith"]
        words = person + ["lives", "in", "New", "York", f'"{i}"', "}", ";", "\n"]
        ents = [(0, 2, "Peop"), (4, 6, "Loc")]
        out.append(make_doc(words, ents, [((0, 2), (4, 6), "Live In")], doc_id=f"d{i}"))
    return out


def n_quads(documents):
    return len(list(expected_dataset(documents).quads()))


def test_embedded_store_round_trips_and_reexport_replaces(tmp_path):
    store = ox.Store(str(tmp_path / "store"))
    stats = write_store(docs(), store, batch_size=3)
    assert (stats.documents, stats.batches, stats.quads) == (10, 4, n_quads(docs()))
    assert len(store) == stats.quads
    assert_same_dataset(store_dataset(store), expected_dataset(docs()))
    write_store(docs(), store, batch_size=4)
    assert len(store) == stats.quads


def test_embedded_store_at_a_path_is_reopenable(tmp_path):
    path = tmp_path / "store"
    write_store(docs(3), path)
    write_store(docs(5), path)  # the first call released the store
    assert len(ox.Store(str(path))) == n_quads(docs(5))


def test_a_changed_document_replaces_its_graph(tmp_path):
    store = ox.Store()
    write_store(docs(2), store)
    changed = make_doc(["Nobody"], doc_id="d1")
    write_store([changed], store)
    assert_same_dataset(store_dataset(store), expected_dataset([docs(1)[0], changed]))


def test_store_resumes_after_a_bad_document(tmp_path):
    store = ox.Store()
    progress_path = tmp_path / "progress.jsonl"
    bad = make_doc(["Ada"], [(0, 1, "Peop")], doc_id="bad")
    bad._.kgx_links = [{"start": 0, "end": 1, "iri": "not an iri", "score": 1.0}]
    stream = docs(4) + [bad] + docs(10)[4:]
    with pytest.raises(KgxInputError, match="document/bad"):
        write_store(stream, store, batch_size=2, progress=Progress(progress_path, "t"))
    assert len(store) == n_quads(docs(4))  # batches 1 and 2 landed, batch 3 did not
    progress = Progress(progress_path, "t", resume=True)
    stats = write_store(docs(10), store, batch_size=2, progress=progress)
    assert (stats.skipped, stats.documents) == (4, 6)
    assert len(store) == n_quads(docs(10))
    lines = [json.loads(line) for line in progress_path.read_text().splitlines()]
    assert [line.get("batch") for line in lines] == [None, 1, 2, 3, 4, 5]


def test_progress_belongs_to_one_target(tmp_path):
    Progress(tmp_path / "p.jsonl", "store A")
    with pytest.raises(KgxInputError, match="progress file is for 'store A'"):
        Progress(tmp_path / "p.jsonl", "store B", resume=True)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_server_round_trips_and_reexport_replaces(endpoint, oxigraph_server, protocol):
    client = SparqlEndpoint(endpoint.url, update_url=oxigraph_server + _path(protocol))
    stats = write_endpoint(docs(), client, protocol=protocol, batch_size=4)
    assert (stats.documents, stats.batches) == (10, 3)
    assert server_count(endpoint) == stats.quads == n_quads(docs())
    assert_same_dataset(server_dataset(endpoint), expected_dataset(docs()))
    write_endpoint(docs(), client, protocol=protocol, batch_size=3)
    assert server_count(endpoint) == stats.quads


def test_unreachable_endpoint_fails_fast():
    endpoint = SparqlEndpoint(f"http://127.0.0.1:{free_port()}/update")
    start = time.monotonic()
    with pytest.raises(KgxStoreError, match="cannot connect to 127.0.0.1") as err:
        write_endpoint(docs(1), endpoint)
    assert time.monotonic() - start < 2
    assert err.value.target == endpoint.update_url


def test_a_client_error_is_not_retried(oxigraph_server):
    endpoint = SparqlEndpoint(f"{oxigraph_server}/no-such-service", backoff=5)
    start = time.monotonic()
    with pytest.raises(KgxStoreError, match=r"\(batch 1\).*HTTP 404"):
        write_endpoint(docs(1), endpoint)
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_transient_server_errors_are_retried(endpoint, faulty_proxy, protocol):
    proxy = faulty_proxy(fail_from=2, fail_times=2)
    client = SparqlEndpoint(endpoint.url, update_url=proxy.url + _path(protocol), backoff=0.01)
    stats = write_endpoint(docs(), client, protocol=protocol, batch_size=4)
    assert proxy.failed == 2
    assert server_count(endpoint) == stats.quads == n_quads(docs())


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_failed_batch_is_named_and_the_export_resumes(endpoint, faulty_proxy, tmp_path, protocol):
    per_batch = 1 if protocol == "update" else 2  # GSP: one PUT per document
    proxy = faulty_proxy(fail_from=2 * per_batch + 1)  # batch 3 and after fail, until healed
    client = SparqlEndpoint(
        endpoint.url, update_url=proxy.url + _path(protocol), retries=2, backoff=0.01
    )
    progress_path = tmp_path / "progress.jsonl"
    progress = Progress(progress_path, "x")
    with pytest.raises(KgxStoreError, match=r"\(batch 3\).*HTTP 500.*3 attempts") as err:
        write_endpoint(docs(), client, protocol=protocol, batch_size=2, progress=progress)
    assert err.value.batch == 3
    assert server_count(endpoint) == n_quads(docs(4))  # batches 1 and 2 are in the store

    proxy.heal()
    progress = Progress(progress_path, "x", resume=True)
    assert progress.last_batch == 2
    stats = write_endpoint(docs(), client, protocol=protocol, batch_size=2, progress=progress)
    assert (stats.skipped, stats.documents, stats.batches) == (4, 6, 3)
    assert server_count(endpoint) == n_quads(docs())
    assert_same_dataset(server_dataset(endpoint), expected_dataset(docs()))


def test_a_server_that_goes_away_names_the_batch(endpoint, faulty_proxy):
    proxy = faulty_proxy()
    client = SparqlEndpoint(endpoint.url, update_url=proxy.url + "/update", retries=1, backoff=0.01)

    def stream():
        yield from docs(4)
        # batches 1 and 2 are with the writer thread: once they land, the server disappears
        deadline = time.monotonic() + 30
        while server_count(endpoint) < n_quads(docs(4)) and time.monotonic() < deadline:
            time.sleep(0.01)
        proxy.close()
        yield from docs(10)[4:]

    with pytest.raises(KgxStoreError, match=r"\(batch 3\).*2 attempts"):
        write_endpoint(stream(), client, batch_size=2)
    assert server_count(endpoint) == n_quads(docs(4))


def test_basic_auth_is_sent(endpoint, faulty_proxy):
    proxy = faulty_proxy()
    client = SparqlEndpoint(
        endpoint.url, update_url=proxy.url + "/update", user="kgx", password="s3cret"
    )
    write_endpoint(docs(1), client)
    assert proxy.authorizations == ["Basic a2d4OnMzY3JldA=="]


def test_gold_mapping_reaches_the_server(endpoint):
    write_endpoint(docs(2), endpoint, mapping=RDFMapping.gold())
    assert_same_dataset(server_dataset(endpoint), expected_dataset(docs(2), RDFMapping.gold()))


def _path(protocol):
    return "/update" if protocol == "update" else "/store"


def test_writer_thread_commits_in_order():
    committed = []

    def commit(number, graphs):
        committed.append((number, threading.current_thread().name, len(graphs)))
        time.sleep(0.01 * (number % 3))  # uneven commits must not reorder anything

    stats = write_batches(docs(19), commit, batch_size=2)
    assert [n for n, _, _ in committed] == list(range(1, 11))
    assert {name for _, name, _ in committed} == {"kgx-writer"}
    assert [size for _, _, size in committed] == [2] * 9 + [1]
    assert (stats.batches, stats.documents) == (10, 19)


def test_writer_thread_bounds_what_is_read_ahead():
    started = threading.Event()
    release = threading.Event()
    produced = []

    def commit(number, graphs):
        started.set()
        release.wait(30)

    def stream():
        for i, doc in enumerate(docs(30)):
            produced.append(i)
            yield doc

    thread = threading.Thread(target=write_batches, args=(stream(), commit), kwargs={"batch_size": 2})
    thread.start()
    started.wait(30)
    time.sleep(0.5)  # the producer runs until the queue is full
    ahead = len(produced)
    release.set()
    thread.join(30)
    # one batch with the writer, QUEUED_BATCHES in the queue, one being put
    assert ahead <= 2 * (QUEUED_BATCHES + 2)
    assert len(produced) == 30


def test_writer_failure_stops_the_producer_and_keeps_earlier_batches(tmp_path):
    progress = Progress(tmp_path / "progress.jsonl", "test")
    produced = []

    def commit(number, graphs):
        if number == 3:
            raise KgxStoreError("test", "disk full", batch=number)

    def stream():
        for i, doc in enumerate(docs(40)):
            produced.append(i)
            yield doc

    with pytest.raises(KgxStoreError, match=r"\(batch 3\): disk full"):
        write_batches(stream(), commit, batch_size=2, progress=progress)
    assert progress.last_batch == 2
    recorded = Progress(tmp_path / "progress.jsonl", "test", resume=True).committed
    assert sorted(iri.rsplit("/", 1)[-1] for iri in recorded) == ["d0", "d1", "d2", "d3"]
    assert len(produced) < 40  # it stopped reading once the writer had failed


def test_a_failing_producer_still_commits_what_it_handed_over(tmp_path):
    store = ox.Store()

    def stream():
        yield from docs(5)
        raise KgxInputError("in.jsonl", "not JSON", line=6)

    with pytest.raises(KgxInputError, match="line 6"):
        write_store(stream(), store, batch_size=2)
    assert len(store) == n_quads(docs(4))  # batches 1 and 2; the fifth Doc's batch never filled
