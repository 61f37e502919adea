"""Batched, resumable writes of Docs into stores; the embedded Oxigraph store.

Every store keeps one named graph per document, and each batch replaces its documents'
graphs, so writing the same documents again never duplicates anything. A progress file
records the documents of every committed batch, so an interrupted export can resume:
``Progress.pending`` is the one place that leaves out what an earlier run committed.
"""

import itertools
import json
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, Optional, TypeVar, Union

import pyoxigraph as ox
from spacy.tokens import Doc

from ..errors import KgxInputError, KgxStoreError
from ..io import atomic_write
from .mapping import RDFMapping
from .oxigraph import DocGraph, doc_graph, doc_mapping

DEFAULT_BATCH_SIZE = 100
QUEUED_BATCHES = 2  # batches waiting for the writer thread, beyond the one it writes
T = TypeVar("T")


@dataclass
class ExportStats:
    """What one export wrote.

    documents: documents written by this run. quads: their distinct quads (for a
    triple-only file format, the triples written). batches: batches committed by this run.
    skipped: documents left out because the progress file says an earlier run wrote them.
    """

    documents: int = 0
    quads: int = 0
    batches: int = 0
    skipped: int = 0


class Progress:
    """A JSON-lines checkpoint: a header naming the target, then one line per committed batch.

    path: the progress file. target: the store or endpoint it belongs to.
    resume: continue from ``path`` (which must name the same target); otherwise start a
        fresh file, forgetting any earlier run.
    """

    def __init__(self, path: Union[str, Path], target: str, resume: bool = False):
        self.path = Path(path)
        self.target = target
        self.committed = set()
        self.batches = set()  # the numbers of the committed batches
        if resume and self.path.exists():
            self._load()
        else:
            with atomic_write(self.path, "w") as f:
                f.write(json.dumps({"target": target}) + "\n")

    def _load(self) -> None:
        lines = self.path.read_text(encoding="utf-8").splitlines()
        try:
            header = json.loads(lines[0])["target"] if lines else None
        except (ValueError, KeyError, TypeError):
            header = None
        if header != self.target:
            raise KgxInputError(
                self.path, f"progress file is for {header!r}, not {self.target!r}", line=1
            )
        for line in lines[1:]:
            try:
                record = json.loads(line)
            except ValueError:
                break  # a line cut short by a crash: its batch is not known to be committed
            self.committed.update(record["documents"])
            self.batches.add(record["batch"])

    def record(self, batch: int, graphs: List[str]) -> None:
        """Note a committed batch; flushed to disk before the next batch starts."""
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"batch": batch, "documents": graphs}) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.committed.update(graphs)
        self.batches.add(batch)

    @property
    def last_batch(self) -> int:
        """The highest committed batch number (0 before any): a continued run numbers on from it."""
        return max(self.batches, default=0)

    def pending(
        self, items: Iterable[T], iri_of: Callable[[T], str], stats: ExportStats
    ) -> Iterator[T]:
        """The items whose document IRI no committed batch holds; the others are counted
        in ``stats.skipped``.

        The one resume skip: the store and endpoint writers (``kgx export``) apply it to
        Docs, ``kgx extract`` to ``(text, id)`` pairs before the pipeline runs.
        iri_of: an item's document IRI (its named graph).
        """
        for item in items:
            if self.committed and iri_of(item) in self.committed:
                stats.skipped += 1
            else:
                yield item


def pending_docs(
    docs: Iterable[Doc],
    mapping: Optional[RDFMapping],
    progress: Optional[Progress],
    stats: ExportStats,
    skip_committed: bool = True,
) -> Iterable[Doc]:
    """The Docs to write: with ``progress`` and ``skip_committed``, those not committed yet."""
    if progress is None or not skip_committed:
        return docs
    return progress.pending(docs, lambda doc: str(doc_mapping(doc, mapping).doc_iri(doc)), stats)


def write_batches(
    docs: Iterable[Doc],
    commit: Callable[[int, List[DocGraph]], None],
    mapping: Optional[RDFMapping] = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Optional[Progress] = None,
    stats: Optional[ExportStats] = None,
    queued: int = QUEUED_BATCHES,
) -> ExportStats:
    """Convert Docs batch by batch and hand each batch to ``commit(number, graphs)``.

    The Docs are consumed here (for ``kgx extract``, this is what runs the pipeline) while
    a writer thread converts and commits the batches before them: RDF conversion and store
    or network writes overlap with inference. At most ``queued`` batches wait for the
    writer, so memory stays bounded. Batches are committed and recorded in order; when
    the Docs or the writer fail, the batches handed over before the failure are still
    committed and recorded, then the error is raised here.
    Every Doc is written: leaving out committed ones is the caller's (``pending_docs``).
    commit: writes one batch (numbered from 1, continuing a resumed run's numbering) or
        raises; a batch is recorded in ``progress`` only after ``commit`` returns.
    mapping: the RDF mapping; None uses each Doc's own (see ``doc_graph``).
    stats: counts added to (a new ExportStats when None); RETURNS it.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    stats = stats if stats is not None else ExportStats()
    first = progress.last_batch + 1 if progress else 1
    writer = _Writer(commit, mapping, progress, stats, queued)
    try:
        for number, chunk in enumerate(chunks(docs, batch_size), start=first):
            writer.put(number, chunk)
    finally:
        writer.close()  # waits for the batches handed over; raises the writer's error
    return stats


class _Writer:
    """A thread that converts and commits numbered batches of Docs, in order.

    ``put`` blocks while ``queued`` batches wait, and raises at once once the writer has
    failed; ``close`` writes what is queued, stops the thread and raises its error.
    """

    def __init__(self, commit, mapping, progress, stats, queued: int):
        self.commit, self.mapping, self.progress, self.stats = commit, mapping, progress, stats
        self.queue = queue.Queue(max(1, queued))
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._run, name="kgx-writer", daemon=True)
        self.thread.start()

    def put(self, number: int, chunk: List[Doc]) -> None:
        while self.error is None:
            try:
                self.queue.put((number, chunk), timeout=0.1)
                return
            except queue.Full:
                continue
        self._raise()

    def close(self) -> None:
        while self.thread.is_alive():
            try:
                self.queue.put(None, timeout=0.1)
                break
            except queue.Full:
                continue
        self.thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            number, chunk = item
            try:
                graphs = [doc_graph(doc, self.mapping) for doc in chunk]
                self.commit(number, graphs)
                if self.progress:
                    self.progress.record(number, [name.value for name, _ in graphs])
            except BaseException as err:
                self.error = err
                return
            self.stats.batches += 1
            self.stats.documents += len(graphs)
            self.stats.quads += sum(len(quads) for _, quads in graphs)


def chunks(items: Iterable, size: int) -> Iterator[list]:
    """Lists of ``size`` items (the last one shorter), read lazily."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def write_store(
    docs: Iterable[Doc],
    store: Union[ox.Store, str, Path],
    mapping: Optional[RDFMapping] = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Optional[Progress] = None,
    skip_committed: bool = True,
    queued: int = QUEUED_BATCHES,
) -> ExportStats:
    """Write Docs into an embedded Oxigraph store, replacing each document's named graph.

    store: an open ``pyoxigraph.Store`` or the directory of one (created if missing).
    progress: records every committed batch; with ``skip_committed``, the Docs it records
        as committed are left out (``stats.skipped``). False: the caller left them out.
    queued: batches that may wait for the writer thread (``write_batches``).
    Each batch goes in as pyoxigraph quads: first every new quad of the batch in one
    transaction (``Store.extend``), then the quads each graph no longer holds are removed.
    In that order a failure never loses data already written: at worst a graph holds its
    old and new quads, and since the batch is not recorded in the progress file,
    ``--resume`` redoes it.
    """
    target = store if isinstance(store, ox.Store) else open_store(Path(store))
    name = "embedded store" if isinstance(store, ox.Store) else str(store)

    def commit(number: int, graphs: List[DocGraph]) -> None:
        try:
            replace_graphs(target, graphs)
        except (OSError, RuntimeError) as err:
            raise KgxStoreError(name, str(err), batch=number) from None

    stats = ExportStats()
    docs = pending_docs(docs, mapping, progress, stats, skip_committed)
    write_batches(docs, commit, mapping, batch_size, progress, stats, queued)
    target.flush()
    return stats


def replace_graphs(store: ox.Store, graphs: Iterable[DocGraph]) -> None:
    """Make each named graph hold exactly its quads (a graph given twice: the last wins).

    Adds the new quads first, in one transaction, then removes the stale ones: in that
    order a failure loses nothing already written (see ``write_store``).
    """
    content = dict(graphs)
    old = [quad for graph in content for quad in store.quads_for_pattern(None, None, None, graph)]
    new = {quad for quads in content.values() for quad in quads}
    store.extend(new)
    stale = [quad for quad in old if quad not in new]
    if stale:
        # The store keeps some literals in canonical form ("1.0"^^xsd:double reads back as
        # "1"^^xsd:double): a stored quad that a new quad is stored as is not stale.
        written = ox.Store()
        written.extend(new)
        stale = [quad for quad in stale if quad not in written]
    for quad in stale:
        store.remove(quad)
    for graph, quads in content.items():
        if not quads and store.contains_named_graph(graph):
            store.remove_graph(graph)  # as DROP GRAPH did: no empty graph is left behind


def open_store(path: Path) -> ox.Store:
    """The embedded store at ``path`` (created if missing); KgxStoreError if it is in use."""
    try:
        return ox.Store(str(path))
    except OSError as err:
        raise KgxStoreError(
            str(path), f"cannot open the store ({err}); is another process using it?"
        ) from None
