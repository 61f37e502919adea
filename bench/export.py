"""Export throughput: CoNLL04 gold Docs → embedded Oxigraph, an Oxigraph server, rdflib baseline.

Writes bench/results/export.json and prints a table. Targets, on the same Docs:
  (a) the embedded store (``write_store``, one transaction per batch);
  (b) a real ``oxigraph serve`` on 127.0.0.1 through ``write_endpoint`` (SPARQL Update and
      Graph Store Protocol, batched);
  (c) the same server through rdflib's SPARQLUpdateStore, one triple per request
      (autocommit) into each document's named graph, on a subset; (b) is re-run on that
      subset so the two rates compare the same documents.
After each run the store is counted (SPARQL COUNT on the server) and must hold exactly the
distinct quads written.

Each target runs --repeat times from an empty store; the best time counts.

Usage: python bench/export.py [--subset N] [--batch-size N] [--repeat N]   (KGX_DATA: data)
"""

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pyoxigraph as ox
from rdflib import Dataset
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

from kgx_spacy.corpora import conll04
from kgx_spacy.rdf.mapping import RDFMapping, doc_quads
from kgx_spacy.rdf.oxigraph import doc_graph
from kgx_spacy.rdf.sparql import SparqlEndpoint, write_endpoint
from kgx_spacy.rdf.store import write_store

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "export.json"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=100, help="documents for the rdflib run")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="runs per target; the best counts")
    args = parser.parse_args()
    started = time.perf_counter()
    data = Path(os.environ.get("KGX_DATA", REPO.parent / "shared" / "data"))
    docs = [doc for split in conll04.SPLITS for doc in conll04.read(split, data)[0]]
    mapping = RDFMapping.gold()
    subset = docs[: args.subset]
    quads = n_quads(docs, mapping)
    subset_quads = n_quads(subset, mapping)
    batch = args.batch_size

    with tempfile.TemporaryDirectory() as tmp, oxigraph_server(Path(tmp) / "server") as base:
        embedded = FreshStore(Path(tmp))
        reader = SparqlEndpoint(f"{base}/query", update_url=f"{base}/update")
        gsp = SparqlEndpoint(reader.url, update_url=f"{base}/store")
        on_server = dict(count=lambda: count(reader), reset=lambda: reader.update("DROP ALL"))
        targets = [
            Target("rdflib terms only (doc_quads)", docs, quads,
                   lambda: [list(doc_quads(doc, mapping)) for doc in docs]),
            Target("embedded store", docs, quads,
                   lambda: write_store(docs, embedded.store, mapping, batch),
                   count=lambda: len(embedded.store), reset=embedded.reset),
            Target("server, SPARQL Update", docs, quads,
                   lambda: write_endpoint(docs, reader, mapping, "update", batch), **on_server),
            Target("server, Graph Store PUT", docs, quads,
                   lambda: write_endpoint(docs, gsp, mapping, "gsp", batch), **on_server),
            Target("server, SPARQL Update (subset)", subset, subset_quads,
                   lambda: write_endpoint(subset, reader, mapping, "update", batch), **on_server),
            Target("rdflib SPARQLUpdateStore (subset)", subset, subset_quads,
                   lambda: rdflib_export(subset, mapping, base), **on_server),
        ]
        rows = [target.measure(args.repeat) for target in targets]

    rate = {name: expected / seconds for name, _, expected, seconds, _ in rows}
    result = {
        "benchmark": "export",
        "dataset": "conll04",
        "split": "train+dev+test",
        "commit": git_sha(),
        "machine": machine(),
        "encoder": None,
        "seconds": round(time.perf_counter() - started, 2),
        "metrics": {
            "triples_per_second": round(rate["embedded store"]),
            "server_triples_per_second": round(rate["server, SPARQL Update"]),
            "server_gsp_triples_per_second": round(rate["server, Graph Store PUT"]),
            "rdflib_triples_per_second": round(rate["rdflib SPARQLUpdateStore (subset)"]),
            "subset_server_triples_per_second": round(rate["server, SPARQL Update (subset)"]),
            "mapping_triples_per_second": round(rate["rdflib terms only (doc_quads)"]),
            "documents": len(docs),
            "quads": quads,
            "subset_documents": len(subset),
            "subset_quads": subset_quads,
            "batch_size": args.batch_size,
            "repeat": args.repeat,
        },
        "command": "python bench/export.py" + "".join(f" {a}" for a in sys.argv[1:]),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{'target':36} {'docs':>6} {'quads':>8} {'seconds':>8} {'triples/s':>10}  counted")
    for name, n_docs, expected, seconds, found in rows:
        counted = "-" if found is None else f"{found} ok"
        per_second = expected / seconds
        print(f"{name:36} {n_docs:6} {expected:8} {seconds:8.2f} {per_second:10.0f}  {counted}")
    print(f"wrote {RESULTS.relative_to(REPO)}")


@dataclass
class Target:
    """One export target: ``write`` runs the export, ``count`` reads the store back."""

    name: str
    docs: list
    quads: int
    write: Callable[[], object]
    count: Callable[[], Optional[int]] = lambda: None
    reset: Callable[[], object] = lambda: None

    def measure(self, repeat: int) -> tuple:
        """(name, documents, quads, best seconds, quads counted); exits if any were lost."""
        best = float("inf")
        for _ in range(repeat):
            self.reset()
            start = time.perf_counter()
            self.write()
            best = min(best, time.perf_counter() - start)
            found = self.count()
            if found is not None and found != self.quads:
                sys.exit(f"{self.name}: the store holds {found} quads, expected {self.quads}")
        return self.name, len(self.docs), self.quads, best, found


class FreshStore:
    """An empty on-disk embedded store for every repetition."""

    def __init__(self, root: Path):
        self.root = root
        self.store = None

    def reset(self) -> None:
        self.store = None  # release the previous store before opening the next
        self.store = ox.Store(tempfile.mkdtemp(dir=self.root))


def n_quads(docs, mapping) -> int:
    """Distinct quads the Docs make: what every store must hold afterwards."""
    return sum(len(doc_graph(doc, mapping)[1]) for doc in docs)


def rdflib_export(docs, mapping, base: str) -> None:
    """The baseline: rdflib's SPARQLUpdateStore, autocommit, one INSERT DATA per triple."""
    store = SPARQLUpdateStore(
        query_endpoint=f"{base}/query", update_endpoint=f"{base}/update", autocommit=True
    )
    dataset = Dataset(store=store)
    for doc in docs:
        graph = dataset.graph(mapping.doc_iri(doc))
        for s, p, o, _ in dict.fromkeys(doc_quads(doc, mapping)):
            graph.add((s, p, o))
    store.close()


def count(endpoint: SparqlEndpoint) -> int:
    body = json.loads(endpoint.query(COUNT))
    return int(body["results"]["bindings"][0]["n"]["value"])


class oxigraph_server:
    """``oxigraph serve`` on a free 127.0.0.1 port with storage at ``location``; a context."""

    def __init__(self, location: Path):
        self.location = location

    def __enter__(self) -> str:
        binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.process = subprocess.Popen(
            [binary, "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/query?query=ASK%7B%7D", timeout=1).close()
                return base
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"oxigraph did not start at {base}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def git_sha() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()


def machine() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    system = f"{platform.system()}, Python {platform.python_version()}"
    return f"{os.cpu_count()}-core CPU ({model}), {system}"


if __name__ == "__main__":
    main()
