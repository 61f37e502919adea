"""Batched, resumable writes of Docs into stores; the embedded Oxigraph store.

Every store keeps one named graph per document, and each batch replaces its documents'
graphs, so writing the same documents again never duplicates anything. A progress file
records the documents of every committed batch, so an interrupted export can resume.
"""

import itertools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, Optional, Union

import pyoxigraph as ox
from spacy.tokens import Doc

from ..errors import KgxInputError, KgxStoreError
from ..io import atomic_write
from .mapping import RDFMapping
from .oxigraph import DocGraph, doc_graph, doc_mapping, replace_graphs_update

DEFAULT_BATCH_SIZE = 100


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
        self.last_batch = 0
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
            self.last_batch = max(self.last_batch, record["batch"])

    def record(self, batch: int, graphs: List[str]) -> None:
        """Note a committed batch; flushed to disk before the next batch starts."""
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"batch": batch, "documents": graphs}) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.committed.update(graphs)
        self.last_batch = batch


def write_batches(
    docs: Iterable[Doc],
    commit: Callable[[int, List[DocGraph]], None],
    mapping: Optional[RDFMapping] = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Optional[Progress] = None,
) -> ExportStats:
    """Convert Docs batch by batch and hand each batch to ``commit(number, graphs)``.

    commit: writes one batch (numbered from 1, continuing a resumed run's numbering) or
        raises; a batch is recorded in ``progress`` only after ``commit`` returns.
    mapping: the RDF mapping; None uses each Doc's own (see ``doc_graph``).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    stats = ExportStats()
    number = progress.last_batch if progress else 0
    for chunk in _chunks(_pending(docs, mapping, progress, stats), batch_size):
        number += 1
        graphs = [doc_graph(doc, mapping) for doc in chunk]
        commit(number, graphs)
        if progress:
            progress.record(number, [name.value for name, _ in graphs])
        stats.batches += 1
        stats.documents += len(graphs)
        stats.quads += sum(len(quads) for _, quads in graphs)
    return stats


def _pending(docs, mapping, progress, stats) -> Iterator[Doc]:
    for doc in docs:
        if progress and str(doc_mapping(doc, mapping).doc_iri(doc)) in progress.committed:
            stats.skipped += 1
        else:
            yield doc


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def write_store(
    docs: Iterable[Doc],
    store: Union[ox.Store, str, Path],
    mapping: Optional[RDFMapping] = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Optional[Progress] = None,
) -> ExportStats:
    """Write Docs into an embedded Oxigraph store, one transaction per batch.

    store: an open ``pyoxigraph.Store`` or the directory of one (created if missing).
    Each batch is a single SPARQL Update (drop each document's graph, insert its quads),
    which Oxigraph applies as one transaction: a failed batch leaves the store unchanged.
    """
    target = store if isinstance(store, ox.Store) else _open_store(Path(store))
    name = "embedded store" if isinstance(store, ox.Store) else str(store)

    def commit(number: int, graphs: List[DocGraph]) -> None:
        try:
            target.update(replace_graphs_update(graphs))
        except (OSError, RuntimeError) as err:
            raise KgxStoreError(name, str(err), batch=number) from None

    stats = write_batches(docs, commit, mapping, batch_size, progress)
    target.flush()
    return stats


def _open_store(path: Path) -> ox.Store:
    try:
        return ox.Store(str(path))
    except OSError as err:
        raise KgxStoreError(
            str(path), f"cannot open the store ({err}); is another process using it?"
        ) from None
