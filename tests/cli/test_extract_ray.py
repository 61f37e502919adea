"""``kgx extract --engine ray``: a real local Ray cluster on 127.0.0.1 (2 CPUs), real stores.

Every run is compared with the one-process ``kgx extract`` of the same inputs: the same
graphs, each isomorphic, and every document committed exactly once, also when an actor
or the driver is SIGKILLed in the middle of the run.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from rdflib import Dataset
from test_extract import (  # noqa: F401 (model, nlp: the same pipeline fixtures)
    _free_port,
    assert_same_dataset,
    committed,
    expected,
    extract,
    graph_names,
    iri,
    items,
    model,
    nlp,
    quad_set,
    records,
    store_dataset,
    write_jsonl,
)

from kgx_spacy.distributed import Cluster, extract_ray
from kgx_spacy.inputs import TextReader
from kgx_spacy.rdf.targets import Target

# Every Ray process of these tests (cluster and drivers) binds and talks to 127.0.0.1 only,
# with token authentication on both sides.
LOOPBACK = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "token",
}
os.environ.update(LOOPBACK)  # before Ray is imported: it reads them then
ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'kgx-spacy[ray]')")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings(r"ignore:(Dataset\.\w+|ConjunctiveGraph) is deprecated:DeprecationWarning"),
]
N = 300


@pytest.fixture(scope="module")
def head():
    """``(address, client address)`` of a 2-CPU Ray head on 127.0.0.1 (its Ray Client
    server too), stopped at the end of the module."""
    port, client_port = _free_port(), _free_port()
    temp = tempfile.mkdtemp(prefix="kgx-ray-")  # short: Ray's socket paths must fit 107 bytes
    head = subprocess.Popen(
        [str(Path(sys.executable).parent / "ray"), "start", "--head", "--block",
         f"--port={port}", f"--ray-client-server-port={client_port}", "--num-cpus=2", "--include-dashboard=false",
         "--disable-usage-stats", f"--temp-dir={temp}", "--object-store-memory=100000000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **LOOPBACK},
    )
    address = f"127.0.0.1:{port}"
    try:
        _wait_for_head(address, head)
        yield address, f"ray://127.0.0.1:{client_port}"
    finally:
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(head) -> str:
    return head[0]


def _wait_for_head(address: str, head: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    status = [str(Path(sys.executable).parent / "ray"), "status", f"--address={address}"]
    while subprocess.run(status, capture_output=True, env={**os.environ, **LOOPBACK}).returncode:
        if head.poll() is not None:
            pytest.fail(f"ray start failed: {head.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail("the Ray head did not come up")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    recs = records(N)
    return recs, write_jsonl(tmp_path_factory.mktemp("inputs") / "in.jsonl", recs)


def actor_pids() -> set:
    """The processes of the Extractor actors now running (Ray names them ``ray::Extractor…``)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::Extractor"):
                    pids.add(int(entry.name))
            except OSError:
                continue
    return pids


def endpoint_dataset(server: str) -> Dataset:
    request = urllib.request.Request(f"{server}/store", headers={"Accept": "application/n-quads"})
    body = urllib.request.urlopen(request, timeout=30).read().decode("utf-8")
    return Dataset().parse(data=body, format="nquads")


def clear(server: str) -> None:
    request = urllib.request.Request(
        f"{server}/update", data=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"}
    )
    urllib.request.urlopen(request, timeout=30).read()


def assert_exactly_once(progress: Path, recs) -> None:
    """Every document recorded once, in input order, over all runs into this progress file."""
    assert committed(progress) == [iri(r["id"]) for r in recs]


def test_two_actors_into_the_store_match_one_process(cluster, model, nlp, inputs, tmp_path):
    recs, source = inputs
    store = tmp_path / "store"
    result = extract(
        model, source, "--engine", "ray", "--address", cluster, "--actors", 2,
        "--store", store, "--batch-size", 10, "-q",
    )
    assert result.exit_code == 0, result.output
    wanted = expected(nlp, items(recs))
    assert f"extracted {N} documents, {len(quad_set(wanted))} triples" in result.stdout
    actual = store_dataset(store)
    assert_same_dataset(actual, wanted)
    assert len(graph_names(actual)) == N and quad_set(actual) == quad_set(wanted)
    assert_exactly_once(store.with_name("store.progress.jsonl"), recs)
    # and the one-process kgx extract of the same inputs, graph by graph
    single = tmp_path / "single"
    assert extract(model, source, "--store", single, "--batch-size", 10, "-q").exit_code == 0
    assert_same_dataset(actual, store_dataset(single))


def test_killed_actor_loses_and_duplicates_nothing(cluster, model, nlp, inputs, tmp_path, oxigraph_server):
    """Actors write to a real endpoint; one is SIGKILLed after 60 documents are committed."""
    recs, source = inputs
    clear(oxigraph_server)
    killed = []

    def kill_once():
        seen = getattr(kill_once, "seen", 0) + 1
        kill_once.seen = seen
        if seen == 60:
            pid = min(actor_pids())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    target = Target(endpoint=f"{oxigraph_server}/query", update_url=f"{oxigraph_server}/update")
    progress = tmp_path / "progress.jsonl"
    stats = extract_ray(
        str(model), [source], target, TextReader(), batch_size=5,
        cluster=Cluster(cluster, (2, 2)), progress=progress, on_document=kill_once,
    )
    assert killed, "no actor was killed"
    assert (stats.documents, stats.batches) == (N, N // 5)
    wanted = expected(nlp, items(recs))
    actual = endpoint_dataset(oxigraph_server)
    assert_same_dataset(actual, wanted)
    assert len(graph_names(actual)) == N
    assert len(quad_set(actual)) == len(quad_set(wanted)) == stats.quads
    assert_exactly_once(progress, recs)


def test_actors_min_max_adds_an_actor_while_the_cluster_has_room(cluster, model, nlp, tmp_path):
    recs = records(60)
    source = write_jsonl(tmp_path / "in.jsonl", recs)
    out = tmp_path / "out.nq"
    stats = extract_ray(str(model), [source], Target(output=out), TextReader(), batch_size=3, cluster=Cluster(cluster, (1, 2)))
    assert stats.actors == 2  # one more than MIN, as the 2-CPU cluster had room for it
    assert_same_dataset(Dataset().parse(out, format="nquads"), expected(nlp, items(recs)))


def test_killed_driver_resumes_with_exact_counts(cluster, model, nlp, inputs, tmp_path):
    recs, source = inputs
    store = tmp_path / "store"
    progress = store.with_name("store.progress.jsonl")
    command = [
        sys.executable, "-m", "kgx_spacy.cli", "extract", str(model), str(source),
        "--engine", "ray", "--address", cluster, "--actors", "2", "--store", str(store),
        "--batch-size", "2", "--resume", "--quiet",
    ]
    env = {**os.environ, **LOOPBACK}
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 120
    while len(committed(progress)) < 10:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "no batch was committed in time"
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    done = committed(progress)
    assert 0 < len(done) < N, "the kill must land in the middle of the run"

    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"extracted {N - len(done)} documents" in second.stdout
    assert f"skipped {len(done)} documents committed by an earlier run" in second.stdout
    assert_exactly_once(progress, recs)
    wanted = expected(nlp, items(recs))
    actual = store_dataset(store)
    assert len(graph_names(actual)) == N
    assert quad_set(actual) == quad_set(wanted)


def test_either_engine_resumes_the_other(cluster, model, nlp, tmp_path):
    source = tmp_path / "in.jsonl"
    store = tmp_path / "store"
    write_jsonl(source, records(20))
    assert extract(model, source, "--store", store, "--batch-size", 4, "-q").exit_code == 0
    write_jsonl(source, records(40))
    ray_run = extract(model, source, "--engine", "ray", "--address", cluster, "--store", store, "--batch-size", 4,
                      "--resume", "-q")
    assert ray_run.exit_code == 0 and "extracted 20 documents" in ray_run.stdout, ray_run.output
    write_jsonl(source, records(50))
    local = extract(model, source, "--store", store, "--batch-size", 4, "--resume", "-q")
    assert local.exit_code == 0 and "extracted 10 documents" in local.stdout, local.output
    assert_exactly_once(store.with_name("store.progress.jsonl"), records(50))
    assert quad_set(store_dataset(store)) == quad_set(expected(nlp, items(records(50))))


def test_file_output_and_shards(cluster, model, nlp, tmp_path):
    recs = records(40)
    source = write_jsonl(tmp_path / "in.jsonl", recs)
    wanted = expected(nlp, items(recs))
    out = tmp_path / "out.trig"
    result = extract(model, source, "--engine", "ray", "--address", cluster, "-o", out, "--batch-size", 7, "-q")
    assert result.exit_code == 0, result.output
    assert_same_dataset(Dataset().parse(out, format="trig"), wanted)

    shards = tmp_path / "shards"
    args = [model, source, "--engine", "ray", "--address", cluster, "--shards", shards, "--batch-size", 7, "-q"]
    result = extract(*args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in shards.iterdir()) == [f"part-{i:08d}.nq" for i in range(1, 7)]
    dataset = Dataset()
    for shard in shards.iterdir():
        dataset.parse(shard, format="nquads")
    assert_same_dataset(dataset, wanted)
    # a shard whose batch the driver never recorded (a killed run) is redone on --resume
    progress = tmp_path / "shards.progress.jsonl"
    lines = progress.read_text(encoding="utf-8").splitlines()
    progress.write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")
    again = extract(*args)
    assert again.exit_code == 2 and "holds shards of an earlier run" in again.output
    resumed = extract(*args, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "extracted 12 documents" in resumed.stdout and "skipped 28 documents" in resumed.stdout
    names = sorted(p.name for p in shards.iterdir())
    assert names == [f"part-{i:08d}.nq" for i in range(1, 7)]
    dataset = Dataset()
    for shard in shards.iterdir():
        dataset.parse(shard, format="nquads")
    assert_same_dataset(dataset, wanted)
    assert len(quad_set(dataset)) == sum(1 for shard in shards.iterdir() for _ in open(shard))
    # the README's next step: the shards into a store with the oxigraph CLI
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if Path(binary).exists():
        store = tmp_path / "loaded"
        files = sorted(str(p) for p in shards.iterdir())
        subprocess.run([binary, "load", "--location", str(store), "--file", *files], check=True, capture_output=True)
        assert_same_dataset(store_dataset(store), wanted)


def test_ray_client_address(head, model, nlp, tmp_path):
    """A driver outside the cluster (``ray://``, the Ray Client) gives the same file."""
    recs = records(20)
    source = write_jsonl(tmp_path / "in.jsonl", recs)
    out = tmp_path / "out.nq"
    result = extract(model, source, "--engine", "ray", "--address", head[1], "--actors", 2, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    assert_same_dataset(Dataset().parse(out, format="nquads"), expected(nlp, items(recs)))


def test_bad_model_and_options_fail_before_writing(cluster, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", records(3))
    store = tmp_path / "store"
    result = extract(tmp_path / "missing", source, "--engine", "ray", "--address", cluster, "--store", store)
    assert result.exit_code == 2
    assert "missing: cannot load the pipeline" in result.output
    assert not store.exists() and not store.with_name("store.progress.jsonl").exists()
    for args, message in [
        (["--actors", "2"], "--actors: needs --engine ray"),
        (["--engine", "ray", "--actors", "3-1"], "--actors: needs 1 <= MIN <= MAX, not 3-1"),
        (["--engine", "ray", "--actors", "two"], "--actors: expected N or MIN-MAX"),
        (["--engine", "ray", "--n-process", "2"], "use --actors and --gpus-per-actor"),
        (["--engine", "ray", "--shards", "s", "--store", "x"], "--shards: is the target"),
    ]:
        result = extract(tmp_path / "missing", source, *args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)


def test_without_ray_the_error_says_how_to_install_it(model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    source = write_jsonl(tmp_path / "in.jsonl", records(1))
    result = extract(model, source, "--engine", "ray", "--store", tmp_path / "store")
    assert result.exit_code == 2
    assert "Ray is not installed: pip install 'kgx-spacy[ray]'" in result.output
