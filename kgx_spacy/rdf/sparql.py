"""Writing Docs to any SPARQL 1.1 endpoint: Update or Graph Store Protocol, in batches.

Only the standard library speaks HTTP here. Connection errors, timeouts and 5xx answers
are retried with exponential backoff; 4xx answers are not (the request itself is wrong).
"""

import base64
import http.client
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

import pyoxigraph as ox
from spacy.tokens import Doc

from ..errors import KgxStoreError
from .mapping import RDFMapping
from .oxigraph import DocGraph
from .store import DEFAULT_BATCH_SIZE, QUEUED_BATCHES, ExportStats, Progress, pending_docs, write_batches

PROTOCOLS = ("update", "gsp")
_RETRY_STATUS = {408, 429}


class SparqlEndpoint:
    """An HTTP SPARQL endpoint.

    url: the endpoint; queries go here, and writes too unless ``update_url`` is set.
    update_url: where writes go: the SPARQL Update service, or for the Graph Store
        Protocol the graph store (``…/store``, graphs addressed by ``?graph=IRI``).
    user, password: HTTP basic authentication. timeout: seconds per request.
    retries: extra attempts after a connection error, timeout or 5xx; the n-th waits
        ``backoff * 2**(n-1)`` seconds.
    """

    def __init__(
        self,
        url: str,
        update_url: Optional[str] = None,
        user: Optional[str] = None,
        password: Optional[str] = None,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
    ):
        self.url = url
        self.update_url = update_url or url
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._headers = {}
        if user is not None:
            token = base64.b64encode(f"{user}:{password or ''}".encode("utf-8")).decode("ascii")
            self._headers["Authorization"] = f"Basic {token}"

    def check_reachable(self) -> None:
        """Open (and close) a TCP connection to the write URL's host, without retrying.

        Raises KgxStoreError at once when nothing listens there, before any work is done.
        """
        parts = urllib.parse.urlsplit(self.update_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise KgxStoreError(self.update_url, "not an http(s) URL")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            socket.create_connection((parts.hostname, port), timeout=min(self.timeout, 5)).close()
        except OSError as err:
            raise KgxStoreError(
                self.update_url,
                f"cannot connect to {parts.hostname}:{port} ({err.strerror or err}); "
                "is the endpoint running?",
            ) from None

    def update(self, update: str, batch: Optional[int] = None) -> None:
        """POST one SPARQL 1.1 Update request (``application/sparql-update``)."""
        body = update.encode("utf-8")
        self._send("POST", self.update_url, body, "application/sparql-update", batch)

    def put_graph(self, graph: str, ntriples: bytes, batch: Optional[int] = None) -> None:
        """Replace the named graph ``graph`` with an N-Triples body (Graph Store Protocol)."""
        url = _with_query(self.update_url, {"graph": graph})
        self._send("PUT", url, ntriples, "application/n-triples", batch)

    def query(self, query: str, accept: str = "application/sparql-results+json") -> bytes:
        """POST a SPARQL query; the raw response body in the ``accept`` format."""
        return self._send(
            "POST", self.url, query.encode("utf-8"), "application/sparql-query", None, accept
        )

    def _send(self, method, url, body, content_type, batch, accept=None) -> bytes:
        headers = {**self._headers, "Content-Type": content_type}
        if accept:
            headers["Accept"] = accept
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as err:
                problem = f"HTTP {err.code} {err.reason}: {_snippet(err.read())}"
                if err.code < 500 and err.code not in _RETRY_STATUS:
                    raise KgxStoreError(url, problem, batch=batch) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
                problem = str(getattr(err, "reason", None) or err) or type(err).__name__
        raise KgxStoreError(
            url, f"{problem} (gave up after {self.retries + 1} attempts)", batch=batch
        )


def write_endpoint(
    docs: Iterable[Doc],
    endpoint: SparqlEndpoint,
    mapping: Optional[RDFMapping] = None,
    protocol: str = "update",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Optional[Progress] = None,
    skip_committed: bool = True,
    queued: int = QUEUED_BATCHES,
) -> ExportStats:
    """Write Docs to a SPARQL endpoint, replacing each document's named graph.

    protocol: ``"update"``: one SPARQL Update request per batch (for each document,
        ``DROP SILENT GRAPH g ; INSERT DATA { GRAPH g { … } }``); ``"gsp"``: one Graph
        Store Protocol PUT per document, with an N-Triples body.
    Raises KgxStoreError at once if the endpoint cannot be reached, and naming the batch
    when a batch still fails after the retries; the batches before it are committed
    (and recorded in ``progress``).
    skip_committed: leave out the Docs ``progress`` records as committed (counted in
        ``stats.skipped``); False when the caller has left them out already.
    queued: batches that may wait for the writer thread (``write_batches``).
    """
    commit = endpoint_commit(endpoint, protocol)
    endpoint.check_reachable()
    stats = ExportStats()
    docs = pending_docs(docs, mapping, progress, stats, skip_committed)
    return write_batches(docs, commit, mapping, batch_size, progress, stats, queued)


def endpoint_commit(
    endpoint: SparqlEndpoint, protocol: str = "update"
) -> Callable[[int, List[DocGraph]], None]:
    """``commit(number, graphs)``: replaces each graph at the endpoint (see ``write_endpoint``).

    Replacing is idempotent, so a batch committed twice (a retried Ray task) leaves the
    same graphs as once.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")

    def commit_update(number: int, graphs: List[DocGraph]) -> None:
        endpoint.update(replace_graphs_update(graphs), batch=number)

    def commit_gsp(number: int, graphs: List[DocGraph]) -> None:
        for name, quads in graphs:
            body = ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES)
            endpoint.put_graph(name.value, body, batch=number)

    return commit_update if protocol == "update" else commit_gsp


def replace_graphs_update(graphs: Iterable[Tuple[ox.NamedNode, Sequence[ox.Quad]]]) -> str:
    """A SPARQL 1.1 Update that replaces each named graph with the given quads.

    For each graph ``g``: ``DROP SILENT GRAPH g ; INSERT DATA { GRAPH g { … } }``. Every
    term is written by pyoxigraph; only the SPARQL keywords and punctuation are ours.
    """
    operations = []
    for name, quads in graphs:
        operations.append(f"DROP SILENT GRAPH {name}")
        if quads:
            triples = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
            operations.append(f"INSERT DATA {{ GRAPH {name} {{\n{triples}\n}} }}")
    return " ;\n".join(operations)


def _with_query(url: str, params: dict) -> str:
    parts = urllib.parse.urlsplit(url)
    query = "&".join(filter(None, [parts.query, urllib.parse.urlencode(params)]))
    return urllib.parse.urlunsplit(parts._replace(query=query))


def _snippet(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    return text[:300] + ("…" if len(text) > 300 else "")
