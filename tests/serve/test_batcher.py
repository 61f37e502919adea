"""The batcher: concurrent requests share one ``nlp.pipe`` call, each gets its own Docs in
order, and a request cancelled before its batch starts is left out."""

import threading
import time

import spacy

from kgx_spacy.serve.batcher import Batcher


class Recorder:
    """Stands for a pipeline: records the texts of every ``pipe`` call; each call takes
    ``seconds``."""

    def __init__(self, seconds: float = 0.0):
        self.nlp = spacy.blank("en")
        self.calls = []
        self.seconds = seconds
        self.busy = threading.Event()  # set once a call has started

    def make_doc(self, text):
        return self.nlp.make_doc(text)

    def pipe(self, docs, batch_size):
        docs = list(docs)
        self.calls.append([doc.text for doc in docs])
        self.busy.set()
        time.sleep(self.seconds)
        return docs


def texts_of(docs):
    return [doc.text for doc in docs]


def test_waiting_requests_share_one_pipe_call():
    nlp = Recorder(seconds=0.2)
    batcher = Batcher(nlp, max_wait=0.05, max_texts=64)
    first = batcher.submit([("first", None)], texts_of)
    assert nlp.busy.wait(5)  # the worker is busy with the first request; eight more arrive meanwhile
    futures = {}

    def client(n):
        futures[n] = batcher.submit([(f"text {n}.{i}", f"id{n}.{i}") for i in range(n % 3 + 1)], list)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert first.result(5) == ["first"]
    for n, future in futures.items():
        docs = future.result(5)
        assert [(d.text, d._.kgx_doc_id) for d in docs] == [(f"text {n}.{i}", f"id{n}.{i}") for i in range(n % 3 + 1)]
    assert nlp.calls[0] == ["first"] and len(nlp.calls) == 2  # the eight requests: one call
    batcher.close()


def test_max_texts_bounds_a_call_and_cancelled_requests_are_left_out():
    nlp = Recorder(seconds=0.2)
    batcher = Batcher(nlp, max_wait=0.05, max_texts=4)
    busy = batcher.submit([("busy", None)], texts_of)
    assert nlp.busy.wait(5)
    waiting = [batcher.submit([(f"t{n}a", None), (f"t{n}b", None)], texts_of) for n in range(4)]
    dropped = batcher.submit([("dropped", None)], texts_of)
    assert dropped.cancel()  # its client gave up before the worker reached it
    assert busy.result(5) == ["busy"] and [f.result(5) for f in waiting] == [[f"t{n}a", f"t{n}b"] for n in range(4)]
    assert nlp.calls == [["busy"], ["t0a", "t0b", "t1a", "t1b"], ["t2a", "t2b", "t3a", "t3b"]]
    batcher.close()


def test_an_error_fails_its_requests_and_the_worker_goes_on():
    nlp = Recorder()
    batcher = Batcher(nlp, max_wait=0.0)

    def broken(docs):
        raise ValueError("cannot answer")

    failed = batcher.submit([("a", None)], broken)
    assert isinstance(failed.exception(5), ValueError)
    assert batcher.submit([("b", None)], texts_of).result(5) == ["b"]
    batcher.close()
