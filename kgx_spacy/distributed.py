"""``kgx extract --engine ray``: a pool of Ray actors runs the pipeline, exactly once into the target.

The driver reads the texts (the same reader, ids, resume skip and progress file as
``kgx_spacy.extract``) and hands numbered batches to a pool of actors, each holding one
loaded pipeline (on its own GPU share when asked). An actor turns its batch into the
documents' quads and, by target:

- endpoint: commits them itself (per-document graph replacement, so a retried batch
  leaves the same graphs as one run);
- embedded store or file: returns them as N-Quads and the driver writes, since only one
  process may own an Oxigraph directory (and one file has one writer);
- shards folder: writes ``part-<batch>.nq`` atomically (the folder must be reachable from
  every node), to be loaded with ``oxigraph load``.

The driver commits and records batches in order, so the progress file means what it
means for one process, and ``--resume`` works across engines. An actor that dies is
restarted by Ray and its batches are retried (``max_task_retries``), so a killed actor
loses and duplicates nothing. Texts go to the actors from the driver, so inputs never
need to be on a shared file system; the pipeline must be a folder every node can read
(the same path) or a package installed on every node (``spacy package``).

Why not Ray Data's ``map_batches``: its readers run on workers (losing the file-and-line
errors, the check for ids used twice and the resume skip before the pipeline runs) and
its output would still have to come back to one writer for a store; a driver-fed actor
pool keeps every guarantee of the one-process path with the same actor-per-model design.
"""

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import pyoxigraph as ox

from .errors import KgxInputError, KgxStoreError
from .extract import DEFAULT_PROGRESS, check_pipeline, load_pipeline, make_doc, model_key, pipeline_mapping
from .inputs import Text, TextReader, input_files
from .io import atomic_write
from .iris import document_iri
from .rdf.oxigraph import DocGraph, doc_graph
from .rdf.serialize import FORMATS, PREFIXES
from .rdf.sparql import endpoint_commit
from .rdf.store import (
    DEFAULT_BATCH_SIZE, ExportStats, Progress, chunks, open_store, replace_graphs,
)
from .rdf.targets import Target

INSTALL = "pip install 'kgx-spacy[ray]'"
SHARD = "part-{:08d}.nq"
IN_FLIGHT = 2  # batches queued on each actor: one runs while the next waits


@dataclass(frozen=True)
class Cluster:
    """Where and how the actors run.

    address: a running cluster (``"auto"``, ``"HOST:PORT"``, ``"ray://HOST:PORT"``); None
        connects to the one this process is already connected to, else starts a local one.
    actors: ``(min, max)``: ``min`` actors start at once; more are added, up to ``max``,
        while the cluster has free resources for them.
    gpus_per_actor, cpus_per_actor: each actor's resources (a GPU share of 0.5 puts two
        actors on one GPU); an actor runs torch with ``cpus_per_actor`` threads.
    retries: times a batch is retried after its actor died (Ray restarts the actor).
    """

    address: Optional[str] = None
    actors: Tuple[int, int] = (1, 1)
    gpus_per_actor: float = 0.0
    cpus_per_actor: float = 1.0
    retries: int = 3

    def __post_init__(self):
        low, high = self.actors
        if not 1 <= low <= high:
            raise KgxInputError("--actors", f"needs 1 <= MIN <= MAX, not {low}-{high}")
        if self.gpus_per_actor < 0 or self.cpus_per_actor <= 0:
            raise KgxInputError("--gpus-per-actor", "GPUs must be >= 0 and CPUs > 0 per actor")
        if self.retries < 0:
            raise KgxInputError("retries", "must be at least 0")


def parse_actors(value: str) -> Tuple[int, int]:
    """``"2"`` → (2, 2); ``"1-4"`` → (1, 4); KgxInputError otherwise."""
    low, _, high = value.partition("-")
    try:
        bounds = int(low), int(high or low)
    except ValueError:
        raise KgxInputError("--actors", f"expected N or MIN-MAX, not {value!r}") from None
    Cluster(actors=bounds)  # checks them
    return bounds


@dataclass
class RayStats(ExportStats):
    """What a Ray extraction wrote, and where its time went.

    actors: the most actors that ran at once. actor_seconds: the actors' pipeline and
    conversion time, summed over batches. ready_seconds: from the call until the first
    ``min`` actors had loaded the pipeline. store_seconds: the driver's time writing into
    the embedded store (reading the N-Quads back included).
    """

    actors: int = 0
    actor_seconds: float = 0.0
    ready_seconds: float = 0.0
    store_seconds: float = 0.0


@dataclass
class BatchResult:
    """One batch as an actor finished it: the documents' graph names in input order,
    their N-Quads (for the driver to write; None when the actor wrote them), counts."""

    graphs: List[str]
    nquads: Optional[bytes]
    quads: int
    seconds: float


def extract_ray(
    model: str,
    inputs: Iterable[Path],
    target: Target,
    reader: TextReader = TextReader(),
    batch_size: int = DEFAULT_BATCH_SIZE,
    cluster: Cluster = Cluster(),
    resume: bool = False,
    progress: Optional[Path] = None,
    on_document: Optional[Callable[[], None]] = None,
    quantize: Optional[str] = None,
    shards: Optional[Path] = None,
) -> RayStats:
    """Run ``model`` over the inputs on Ray actors and write the RDF to ``target``, or as
    N-Quads shards into the folder ``shards`` (then ``target`` is not written).

    The same documents, ids, IRIs, graphs and progress file as ``kgx_spacy.extract.extract``
    (a run of either engine can be resumed by the other). ``on_document`` is called on the
    driver as each document is committed.
    """
    if batch_size < 1:
        raise KgxInputError("kgx extract", "--batch-size must be at least 1")
    start = time.perf_counter()
    if shards is not None:
        target = Shards(shards)
    progress = target.progress_path(progress, default=DEFAULT_PROGRESS)
    exclude = {p.resolve() for p in (target.output, progress) if p}
    sources = input_files(inputs, exclude)
    if target.client:
        target.client.check_reachable()
    check_pipeline(model)  # here, before a cluster starts; the actors load it
    ray = import_ray()
    connected_here = not ray.is_initialized()
    if connected_here:
        _connect(ray, cluster.address)
    try:
        sink = _sink(target)
        pool = _Pool(ray, model, quantize, cluster, sink)
        stats = RayStats(ready_seconds=time.perf_counter() - start)
        checkpoint = target.checkpoint(progress, resume, run=f"extract {model_key(model)}")
        texts = reader.read(sources)
        if checkpoint:
            texts = checkpoint.pending(texts, lambda item: document_iri(pool.base_iri, *item), stats)
        first = checkpoint.last_batch + 1 if checkpoint else 1
        batches = pool.run(enumerate(chunks(texts, batch_size), start=first), stats)
        _write(batches, target, checkpoint, stats, on_document)
        stats.actors = pool.peak
        return stats
    finally:
        if connected_here:
            ray.shutdown()


def import_ray():
    """The ``ray`` module; KgxInputError saying how to install it when it is missing.

    Ray's usage statistics are off unless the environment turns them on.
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise KgxInputError("--engine ray", f"Ray is not installed: {INSTALL}") from None
    return ray


def _connect(ray, address: Optional[str], attempts: int = 3) -> None:
    """``ray.init``; a Ray Client connection (``ray://``) is tried ``attempts`` times, since
    the client server of a just-started cluster can fail to start the connection's server
    (Ray 2.60: "Starting Ray client server failed", its process gone before it logs)."""
    kwargs = {"include_dashboard": False} if address is None else {}
    client = bool(address) and address.startswith("ray://")
    for attempt in range(1, attempts + 1):
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING, **kwargs)
            return
        except (ConnectionError, RuntimeError, ValueError) as err:
            if client and attempt < attempts and "client server failed" in str(err):
                time.sleep(attempt)
                continue
            raise KgxStoreError(address or "local Ray", f"cannot start or reach Ray ({err})") from None


# --- the actors ---------------------------------------------------------------------------


class Extractor:
    """A Ray actor: one loaded pipeline; turns numbered batches of ``(text, id)`` into RDF.

    model: a pipeline folder every node can read, or an installed pipeline package.
    sink: ``("return",)``, ``("endpoint", SparqlEndpoint, protocol)`` or ``("shards", folder)``.
    """

    def __init__(self, model: str, quantize: Optional[str], gpu: bool, threads: int, sink: tuple):
        import torch

        torch.set_num_threads(max(1, threads))
        self.failed = None  # raised by every call, so the driver gets the error itself
        try:
            self.nlp = load_pipeline(model, 0 if gpu else -1, quantize)
        except KgxInputError as err:
            self.failed = err
            return
        self.mapping = pipeline_mapping(self.nlp)
        self.sink = sink
        self.commit = endpoint_commit(sink[1], sink[2]) if sink[0] == "endpoint" else None

    def base_iri(self) -> str:
        if self.failed:
            raise self.failed
        return self.mapping.base_iri

    def run(self, number: int, items: List[Text]) -> BatchResult:
        """Batch ``number`` through the pipeline into the sink."""
        start = time.perf_counter()
        docs = self.nlp.pipe((make_doc(self.nlp, text, doc_id) for text, doc_id in items),
                             batch_size=max(1, len(items)))
        graphs: List[DocGraph] = [doc_graph(doc) for doc in docs]
        quads = [quad for _, graph in graphs for quad in graph]
        nquads = None
        if self.sink[0] == "return":
            nquads = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        elif self.sink[0] == "endpoint":
            self.commit(number, graphs)
        else:
            with atomic_write(Path(self.sink[1]) / SHARD.format(number), "wb") as f:
                ox.serialize(quads, f, ox.RdfFormat.N_QUADS)
        names = [name.value for name, _ in graphs]
        return BatchResult(names, nquads, len(quads), time.perf_counter() - start)


class _Pool:
    """The actors and the batches in flight; ``run`` yields finished batches in order.

    Ray restarts an actor that dies and retries its batches (``max_task_retries``); a
    batch that still fails stops the run, naming it.
    """

    def __init__(self, ray, model: str, quantize, cluster: Cluster, sink: tuple):
        self.ray, self.cluster = ray, cluster
        self.resources = {"CPU": cluster.cpus_per_actor}
        if cluster.gpus_per_actor:
            self.resources["GPU"] = cluster.gpus_per_actor
        remote = ray.remote(
            num_cpus=cluster.cpus_per_actor,
            num_gpus=cluster.gpus_per_actor,
            max_restarts=-1,
            max_task_retries=cluster.retries,
        )(Extractor)
        threads = max(1, round(cluster.cpus_per_actor))
        self.new_actor = lambda: remote.remote(model, quantize, cluster.gpus_per_actor > 0, threads, sink)
        self.load = {self.new_actor(): 0 for _ in range(cluster.actors[0])}  # batches in flight
        self.peak = len(self.load)
        self.checked = 0.0
        try:  # every actor loads the pipeline; the first failure is the user's error
            self.base_iri = ray.get([actor.base_iri.remote() for actor in self.load])[0]
        except ray.exceptions.RayError as err:
            raise _cause(err, model) from None

    def run(
        self, batches: Iterator[Tuple[int, List[Text]]], stats: RayStats
    ) -> Iterator[Tuple[int, BatchResult]]:
        ray = self.ray
        flying: Dict = {}  # object ref → (batch number, actor)
        finished: Dict[int, BatchResult] = {}
        upcoming = next(batches, None)
        following = upcoming[0] if upcoming else None
        while upcoming is not None or flying:
            while upcoming is not None and (actor := self._free_actor()) is not None:
                number, items = upcoming
                flying[actor.run.remote(number, items)] = (number, actor)
                self.load[actor] += 1
                upcoming = next(batches, None)
            ready, _ = ray.wait(list(flying), num_returns=1)
            number, actor = flying.pop(ready[0])
            self.load[actor] -= 1
            try:
                finished[number] = ray.get(ready[0])
            except ray.exceptions.RayError as err:
                raise _cause(err, f"batch {number}") from None
            while following in finished:
                result = finished.pop(following)
                stats.actor_seconds += result.seconds
                yield following, result
                following += 1

    def _free_actor(self):
        """The least loaded actor if it has room; else a new actor if the cluster has room."""
        actor = min(self.load, key=self.load.__getitem__)
        if self.load[actor] < IN_FLIGHT:
            return actor
        if len(self.load) < self.cluster.actors[1] and self._room_for_another():
            actor = self.new_actor()
            self.load[actor] = 0
            self.peak = len(self.load)
            return actor
        return None

    def _room_for_another(self) -> bool:
        """Whether the cluster has the resources of one more actor (asked once a second)."""
        now = time.monotonic()
        if now - self.checked < 1.0:
            return False
        self.checked = now
        free = self.ray.available_resources()
        return all(free.get(name, 0.0) >= need for name, need in self.resources.items())


def _cause(err, where) -> Exception:
    """The user's error inside a RayTaskError (our own errors as they were raised)."""
    cause = getattr(err, "cause", None)
    if isinstance(cause, (KgxInputError, KgxStoreError)):
        return cause
    problem = str(cause or err).strip().splitlines()
    return KgxStoreError(str(where), problem[-1] if problem else type(err).__name__)


# --- the driver's writes ------------------------------------------------------------------


def _sink(target) -> tuple:
    """What the actors do with a batch's quads (see ``Extractor``)."""
    if isinstance(target, Shards):
        return ("shards", str(target.folder.resolve()))
    if target.client:
        return ("endpoint", target.client, target.protocol)
    return ("return",)


def _write(batches, target, checkpoint: Optional[Progress], stats: RayStats, on_document) -> None:
    """Commit the finished batches in order: into the store or the file, or (endpoint,
    shards: the actors wrote them) only record them."""

    def committed(number: int, result: BatchResult) -> None:
        if checkpoint:
            checkpoint.record(number, result.graphs)
        stats.batches += 1
        stats.documents += len(result.graphs)
        stats.quads += result.quads
        if on_document:
            for _ in result.graphs:
                on_document()

    if target.output:
        _write_file(batches, target, committed)
    elif target.store:
        _write_store(batches, target.store, committed, stats)
    else:
        for number, result in batches:
            committed(number, result)


def _write_store(batches, path: Path, committed, stats: RayStats) -> None:
    store = open_store(path)
    for number, result in batches:
        start = time.perf_counter()
        try:
            replace_graphs(store, _graphs(result))
        except (OSError, RuntimeError) as err:
            raise KgxStoreError(str(path), str(err), batch=number) from None
        stats.store_seconds += time.perf_counter() - start
        committed(number, result)
    store.flush()


def _write_file(batches, target: Target, committed) -> None:
    """One RDF file, atomically (as ``write_file``), from the actors' N-Quads."""
    rdf_format = FORMATS[target.format]

    def statements():
        for number, result in batches:
            for _, quads in _graphs(result):
                if rdf_format.supports_datasets:
                    yield from quads
                else:
                    yield from (quad.triple for quad in quads)
            committed(number, result)

    with atomic_write(target.output, "wb") as f:
        ox.serialize(statements(), f, rdf_format, prefixes=PREFIXES)


def _graphs(result: BatchResult) -> List[DocGraph]:
    """The batch's documents' graphs, read back from the actor's N-Quads."""
    graphs = {name: [] for name in result.graphs}
    for quad in ox.parse(result.nquads, format=ox.RdfFormat.N_QUADS):
        graphs[quad.graph_name.value].append(quad)
    return [(ox.NamedNode(name), quads) for name, quads in graphs.items()]


class Shards:
    """A folder of N-Quads shards, ``part-<batch>.nq``, that the actors write (``--shards``).

    Its progress file is FOLDER.progress.jsonl beside it, as for a store.
    """

    output = client = store = None

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.name = str(folder)

    def progress_path(self, path: Optional[Path] = None, default: Path = DEFAULT_PROGRESS) -> Path:
        return Path(path or self.folder.with_name(self.folder.name + ".progress.jsonl"))

    def checkpoint(self, path=None, resume: bool = False, run: Optional[str] = None) -> Progress:
        """The progress file, opened or started. A new run needs a folder without shards;
        a resumed one keeps only the shards of recorded batches (the others are redone)."""
        existing = sorted(self.folder.glob("part-*.nq")) + sorted(self.folder.glob(".part-*.tmp"))
        if existing and not resume:
            raise KgxInputError(
                self.folder, "holds shards of an earlier run: add --resume, or choose an empty folder"
            )
        key = f"shards {self.folder.resolve()}"
        progress = Progress(self.progress_path(path), f"{key} {run}" if run else key, resume)
        self.folder.mkdir(parents=True, exist_ok=True)
        for shard in existing:
            if _shard_number(shard) not in progress.batches:
                shard.unlink()
        return progress


def _shard_number(path: Path) -> Optional[int]:
    """The batch of ``part-00000042.nq`` (42); None for a temporary file."""
    try:
        return int(path.name[len("part-"):-len(".nq")]) if path.name.startswith("part-") else None
    except ValueError:
        return None
