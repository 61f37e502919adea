"""``kgx extract --engine ray`` beside the one-process ``kgx extract``: correctness and overhead.

One run, one machine, the same inputs (``--texts`` WebNLG dev texts, evenly spaced in the
file so that every entry size is in, as JSON lines with their ids) and the default
pipeline (``training/default/model-best``, fp32):

1. Speed, into a fresh embedded store each: the one-process ``kgx extract`` (torch's
   default threads: both cores), Ray with 1 actor of 2 CPUs and with 2 actors of 1 CPU
   each, on a local 2-CPU Ray head on 127.0.0.1 started by this script. Words/s over the
   whole call (pipeline load and Ray start included) and once every actor is ready
   (``steady``); Ray's overhead per batch: the 1-actor run's time after start-up not spent
   in the actor's pipeline and RDF conversion, over its batches.
2. Correctness: 2 actors write to a real ``oxigraph serve`` while one actor is SIGKILLed
   after a third of the documents are committed; every graph and statement is then counted:
   ``lost`` (documents missing or with other statements),
   ``duplicated`` (documents committed twice, statements beyond the reference). The
   reference is the clean 2-actor run (the same batches); each Ray run is also compared
   with the one-process store (graphs that differ at all, and beyond confidence values:
   other batches pad and sum in another order, which moves scores in their last bits).

    python bench/ray_extract.py [--model training/default/model-best] [--texts 1200]

Writes bench/results/ray-extract.json. This machine has 2 cores, so the figures report
the overhead of the engine, not a speed-up.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token"}
os.environ.update(LOOPBACK)  # before Ray is imported: every Ray process binds 127.0.0.1

import pyoxigraph as ox  # noqa: E402
import spacy  # noqa: E402
from common import REPO, write_result  # noqa: E402

from kgx_spacy.corpora import data_dir, webnlg  # noqa: E402
from kgx_spacy.distributed import Cluster, extract_ray  # noqa: E402
from kgx_spacy.extract import extract  # noqa: E402
from kgx_spacy.inputs import TextReader  # noqa: E402
from kgx_spacy.rdf.targets import Target  # noqa: E402

BATCH_SIZE = 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_ray_head(temp: str) -> tuple:
    port = free_port()
    ray_bin = str(Path(sys.executable).parent / "ray")
    head = subprocess.Popen(
        [ray_bin, "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
         "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    address = f"127.0.0.1:{port}"
    while subprocess.run([ray_bin, "status", f"--address={address}"], capture_output=True).returncode:
        if head.poll() is not None:
            raise RuntimeError("ray start failed")
        time.sleep(0.5)
    return head, address


def start_oxigraph(location: Path) -> tuple:
    port = free_port()
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    server = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{base}/query?query=ASK%7B%7D", timeout=1).read()
            return server, base
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("oxigraph serve did not start")


def graphs_of(quads) -> dict:
    """Graph IRI → its set of (s, p, o) strings."""
    graphs = {}
    for quad in quads:
        graphs.setdefault(quad.graph_name.value, set()).add((str(quad.subject), str(quad.predicate), str(quad.object)))
    return graphs


def store_graphs(path: Path) -> dict:
    return graphs_of(ox.Store.read_only(str(path)))


def endpoint_graphs(base: str) -> dict:
    request = urllib.request.Request(f"{base}/store", headers={"Accept": "application/n-quads"})
    body = urllib.request.urlopen(request, timeout=120).read()
    return graphs_of(ox.parse(body, format=ox.RdfFormat.N_QUADS))


def differences(graphs: dict, reference: dict) -> tuple:
    """(documents whose graph differs from the reference's, those that differ beyond the
    values of kgx:confidence): a batch of other texts pads and sums in another order, which
    moves scores in their last bits."""
    def structure(triples):
        return {t for t in triples if not t[1].endswith("#confidence>") and not t[1].endswith("/confidence>")}

    names = set(graphs) | set(reference)
    differ = [n for n in names if graphs.get(n) != reference.get(n)]
    beyond = [n for n in differ if structure(graphs.get(n, set())) != structure(reference.get(n, set()))]
    return len(differ), len(beyond)


def statements(graphs: dict) -> int:
    return sum(len(triples) for triples in graphs.values())


def actor_pids() -> set:
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::Extractor"):
                    pids.add(int(entry.name))
            except OSError:
                continue
    return pids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=REPO / "training" / "default" / "model-best")
    parser.add_argument("--texts", type=int, default=1200)
    args = parser.parse_args()
    started = time.time()
    work = Path(tempfile.mkdtemp(prefix="kgx-ray-bench-"))
    docs, _ = webnlg.read("dev", data_dir())
    sample = docs[:: max(1, len(docs) // args.texts)][: args.texts]  # every size of entry
    records = [{"id": f"d{i}", "text": doc.text} for i, doc in enumerate(sample)]
    source = work / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    n_words = sum(len(doc) for doc in spacy.blank("en").tokenizer.pipe(r["text"] for r in records))
    model = str(args.model)
    head, address = start_ray_head(tempfile.mkdtemp(prefix="kgx-ray-"))
    server = None
    try:
        # 1. speed, each into a fresh store
        t = time.perf_counter()
        single = extract(model, [source], Target(store=work / "single"), TextReader(), batch_size=BATCH_SIZE)
        single_seconds = time.perf_counter() - t
        runs = {}
        for name, cluster in [
            ("ray_1_actor", Cluster(address, (1, 1), cpus_per_actor=2)),
            ("ray_2_actors", Cluster(address, (2, 2), cpus_per_actor=1)),
        ]:
            t = time.perf_counter()
            stats = extract_ray(model, [source], Target(store=work / name), TextReader(), BATCH_SIZE, cluster)
            runs[name] = (stats, time.perf_counter() - t)
        single_graphs = store_graphs(work / "single")
        differing = {name: differences(store_graphs(work / name), single_graphs) for name in runs}
        reference = store_graphs(work / "ray_2_actors")  # the same batches as the killed run

        # 2. an actor SIGKILLed while 2 actors write to a real endpoint
        server, base = start_oxigraph(work / "server")
        killed = []
        committed = Counter()

        def kill_after_a_third():
            committed["documents"] += 1
            if committed["documents"] == len(records) // 3:
                pid = min(actor_pids())
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        progress = work / "endpoint.progress.jsonl"
        target = Target(endpoint=f"{base}/query", update_url=f"{base}/update")
        kill_stats = extract_ray(
            model, [source], target, TextReader(), BATCH_SIZE, Cluster(address, (2, 2)),
            progress=progress, on_document=kill_after_a_third,
        )
        recorded = Counter(
            doc for line in progress.read_text(encoding="utf-8").splitlines()[1:] for doc in json.loads(line)["documents"]
        )
        served = endpoint_graphs(base)
        lost = sum(1 for name, triples in reference.items() if served.get(name) != triples)
        duplicated = sum(count - 1 for count in recorded.values()) + max(0, statements(served) - statements(reference))
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        head.terminate()
        head.wait()
        shutil.rmtree(work, ignore_errors=True)

    metrics = {
        "documents": len(records),
        "words": n_words,
        "statements": statements(reference),
        "lost": lost,
        "duplicated": duplicated,
        "actors_killed": len(killed),
        "killed_run_documents": kill_stats.documents,
        "killed_run_statements": statements(served),
        "single_process_words_per_second": n_words / single_seconds,
        "single_process_seconds": single_seconds,
    }
    for name, (stats, seconds) in runs.items():
        steady = seconds - stats.ready_seconds
        metrics[f"{name}_words_per_second"] = n_words / seconds
        metrics[f"{name}_steady_words_per_second"] = n_words / steady
        metrics[f"{name}_seconds"] = seconds
        metrics[f"{name}_ready_seconds"] = stats.ready_seconds
        metrics[f"{name}_vs_single_process"] = single_seconds / seconds
        metrics[f"{name}_documents_differing_from_single_process"] = differing[name][0]
        metrics[f"{name}_documents_differing_beyond_confidence"] = differing[name][1]
    two = runs["ray_2_actors"][0]
    metrics["driver_store_documents_per_second"] = two.documents / two.store_seconds
    one, seconds = runs["ray_1_actor"]
    metrics["ray_overhead_seconds_per_batch"] = (seconds - one.ready_seconds - one.actor_seconds) / one.batches
    metrics["ray_actor_seconds_per_batch"] = one.actor_seconds / one.batches
    metrics["batches"] = one.batches
    metrics["words_per_second"] = metrics["ray_2_actors_words_per_second"]
    assert single.documents == len(records)
    write_result(
        "ray-extract", "webnlg_2020_v3.0_en", "dev", metrics, time.time() - started, -1, "bench/ray_extract.py",
        notes=(
            f"The default pipeline (fp32) over {len(records)} WebNLG dev texts (evenly spaced in the file), batches of "
            f"{BATCH_SIZE}, into a fresh embedded store per run; a local 2-CPU Ray head on 127.0.0.1 "
            "(ray start --head), the driver in this process. Words/s over the whole call (pipeline load "
            "and actor start included); steady: after every actor is ready. Overhead per batch: the "
            "1-actor run's time after start-up not spent in the actor's pipeline and RDF conversion. "
            "Correctness: 2 actors write to oxigraph serve while one is SIGKILLed after a third of the "
            "documents; lost and duplicated are counted graph by graph against the clean 2-actor run (the "
            "same batches); each Ray store is also compared with the one-process store."
        ),
    )


if __name__ == "__main__":
    main()
