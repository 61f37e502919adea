"""Texts of concurrent requests gathered into one ``nlp.pipe`` call, on one worker thread."""

import queue
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable, List, Optional, Tuple

from spacy.tokens import Doc

from ..extensions import install_extensions
from ..extract import make_doc

Item = Tuple[str, Optional[str]]  # (text, document id or None)
Finish = Callable[[List[Doc]], Any]


class Batcher:
    """A worker thread that runs the pipeline over the texts of every request waiting.

    The first request wakes the worker; it waits up to ``max_wait`` seconds for more,
    until ``max_texts`` texts are gathered, runs them as one ``nlp.pipe`` call (so
    concurrent requests share the encoder's batches), then hands each request its Docs.
    Everything that reads the Docs runs on this thread too: spaCy's vocab is not meant
    to be shared between threads. A request cancelled before its batch starts (its client
    timed out) is left out.
    """

    def __init__(self, nlp, max_wait: float = 0.005, max_texts: int = 64):
        install_extensions()
        self.nlp = nlp
        self.max_wait = max_wait
        self.max_texts = max_texts
        self.jobs: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="kgx-batcher", daemon=True)
        self.thread.start()

    def submit(self, items: List[Item], finish: Finish) -> Future:
        """A future of ``finish(docs)``, ``docs`` being the Docs of ``items`` in order;
        it holds the exception if the pipeline or ``finish`` raises."""
        future = Future()
        self.jobs.put((items, finish, future))
        return future

    def close(self) -> None:
        """Stop the worker once the jobs queued before this call are done."""
        self.jobs.put(None)
        self.thread.join()

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            batch, stop = self._gather(job)
            batch = [job for job in batch if job[2].set_running_or_notify_cancel()]
            texts = (make_doc(self.nlp, *item) for items, _, _ in batch for item in items)
            try:
                docs = iter(list(self.nlp.pipe(texts, batch_size=self.max_texts)))
            except Exception as err:  # every request of the batch fails; the worker goes on
                for _, _, future in batch:
                    future.set_exception(err)
            else:
                for items, finish, future in batch:
                    try:
                        future.set_result(finish([next(docs) for _ in items]))
                    except Exception as err:
                        future.set_exception(err)
            if stop:
                return

    def _gather(self, first) -> Tuple[list, bool]:
        """The first job and those that arrive within ``max_wait`` (up to ``max_texts``
        texts); True when the stop signal came meanwhile."""
        batch, texts = [first], len(first[0])
        deadline = time.monotonic() + self.max_wait
        while texts < self.max_texts and (remaining := deadline - time.monotonic()) > 0:
            try:
                job = self.jobs.get(timeout=remaining)
            except queue.Empty:
                break
            if job is None:
                return batch, True
            batch.append(job)
            texts += len(job[0])
        return batch, False
