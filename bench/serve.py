"""kgx serve under load: concurrent clients against a real server on 127.0.0.1.

The server is ``kgx serve`` (a subprocess, started as a user starts it, with an embedded
store) over the default pipeline (``training/default/model-best``). ``--clients`` threads
(default 8) each send ``--requests`` requests (default 50) one after another, each one
WebNLG test text (``POST /extract``, JSON answer, no store write), over their own
keep-alive connection. Measured: requests, errors (any answer but 200), latency p50/p95
(ms), documents/s over the whole load, beside ``nlp.pipe`` alone on the same texts in this
process afterwards (the server idle), and the server's peak resident memory (VmHWM).

Then bad requests, each of which must get its status and leave the store as it was:
malformed JSON (400), wrong types (400), a 10 MB body (413), a SPARQL INSERT on /sparql
(403), an update POSTed as application/sparql-update (403).

    python bench/serve.py [--model training/default/model-best] [--clients 8] [--requests 50]

Writes bench/results/serve.json.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPConnection
from pathlib import Path
from typing import List

import spacy
from common import REPO, write_result

from kgx_spacy.corpora import data_dir, webnlg

ALL_QUADS = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


def start_server(model: Path, store: Path, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "kgx_spacy.cli", "serve", str(model), "--store", str(store), "--port", str(port)]
    print("$", " ".join(command), flush=True)
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def request(base: str, method: str, path: str, body: bytes = None, headers: dict = None):
    """(status, body) of one request on a new connection."""
    req = urllib.request.Request(base + path, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=120) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_ready(base: str, process: subprocess.Popen, timeout: float = 600) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError("kgx serve exited")
        try:
            if request(base, "GET", "/health")[0] == 200:
                return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("kgx serve did not get ready")


def load(port: int, texts: List[str], clients: int, requests: int):
    """Every client's latencies (seconds) and errors; RETURNS (latencies, errors, seconds)."""
    latencies, errors = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        connection = HTTPConnection("127.0.0.1", port, timeout=120)
        barrier.wait()
        for i in range(requests):
            body = json.dumps({"text": texts[(n * requests + i) % len(texts)]}).encode()
            start = time.perf_counter()
            try:
                connection.request("POST", "/extract", body, {"Content-Type": "application/json"})
                answer = connection.getresponse()
                answer.read()
                ok = answer.status == 200
            except OSError as err:
                ok, connection = False, HTTPConnection("127.0.0.1", port, timeout=120)
                print("request failed:", err, flush=True)
            with lock:
                latencies.append(time.perf_counter() - start)
                if not ok:
                    errors.append(n)
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - start


def store_rows(base: str) -> set:
    status, body = request(base, "GET", "/sparql?" + urllib.parse.urlencode({"query": ALL_QUADS}),
                           headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return {json.dumps(row, sort_keys=True) for row in json.loads(body)["results"]["bindings"]}


def bad_requests(base: str, text: str) -> List[dict]:
    """Each bad request with the status it got and the one it must get; the store must not change."""
    request(base, "POST", "/extract", json.dumps({"id": "kept", "text": text, "store": True}).encode(),
            {"Content-Type": "application/json"})
    before = store_rows(base)
    json_type = {"Content-Type": "application/json"}
    insert = "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> 1 } }"
    cases = [
        ("malformed JSON", "POST", "/extract", b'{"text": "unclosed', json_type, 400),
        ("wrong types", "POST", "/extract", b'{"text": 5, "store": "yes"}', json_type, 400),
        ("10 MB body", "POST", "/extract", json.dumps({"text": "x" * 10_000_000, "store": True}).encode(), json_type, 413),
        ("SPARQL INSERT on /sparql", "GET", "/sparql?" + urllib.parse.urlencode({"query": insert}), None, {}, 403),
        ("SPARQL update POSTed", "POST", "/sparql", insert.encode(), {"Content-Type": "application/sparql-update"}, 403),
    ]
    checks = []
    for name, method, path, body, headers, wanted in cases:
        status, answer = request(base, method, path, body, headers)
        checks.append({"request": name, "status": status, "expected": status == wanted and "error" in json.loads(answer)})
    unchanged = store_rows(base) == before
    for check in checks:
        check["store_unchanged"] = unchanged
    return checks


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "training" / "default" / "model-best")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=50, help="requests per client")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    gold, _ = webnlg.read("test", data_dir())
    texts = [doc.text for doc in gold]
    sent = [texts[i % len(texts)] for i in range(args.clients * args.requests)]
    base = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory(prefix="kgx-serve-bench-") as folder:
        process = start_server(args.model, Path(folder) / "store", args.port)
        try:
            load_seconds = wait_ready(base, process)
            load(args.port, texts[-args.clients:], args.clients, 2)  # warm-up, texts not in the run
            latencies, errors, seconds = load(args.port, texts, args.clients, args.requests)
            checks = bad_requests(base, texts[0])
            peak = peak_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=60)
    nlp = spacy.load(args.model)
    list(nlp.pipe(texts[-64:]))  # warm-up
    start = time.perf_counter()
    list(nlp.pipe(sent, batch_size=nlp.batch_size))
    pipe_seconds = time.perf_counter() - start
    cut = statistics.quantiles(latencies, n=100)
    metrics = {
        "requests": len(latencies),
        "errors": len(errors),
        "clients": args.clients,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": cut[94] * 1000,
        "documents_per_second": len(latencies) / seconds,
        "pipe_documents_per_second": len(sent) / pipe_seconds,
        "peak_rss_mb": peak,
        "load_seconds": load_seconds,
        "bad_request_checks_failed": sum(not (c["expected"] and c["store_unchanged"]) for c in checks),
    }
    write_result("serve", "webnlg_2020_v3.0_en", "test", metrics, time.time() - started, -1, "bench/serve.py",
                 model=str(args.model.relative_to(REPO) if args.model.is_relative_to(REPO) else args.model),
                 bad_requests=checks)


if __name__ == "__main__":
    main()
