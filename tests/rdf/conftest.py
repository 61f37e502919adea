"""The endpoint tests' client of the real ``oxigraph serve`` (tests/conftest.py), and a faulty
proxy before it."""

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kgx_spacy.extensions import install_extensions
from kgx_spacy.rdf.sparql import SparqlEndpoint

HERE = Path(__file__).parent
# rdflib 7.6 uses its own deprecated Dataset.default_context/ConjunctiveGraph in parse, query.
RDFLIB_NOISE = pytest.mark.filterwarnings(
    r"ignore:(Dataset\.\w+|ConjunctiveGraph) is deprecated:DeprecationWarning"
)


@pytest.fixture(autouse=True)
def doc_extensions():
    """The Doc contract's extensions, as the pipeline registers them: the RDF tests build Docs
    by hand and must not depend on another test having loaded a pipeline first."""
    install_extensions()


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(RDFLIB_NOISE)


@pytest.fixture
def endpoint(oxigraph_server) -> SparqlEndpoint:
    """The server, emptied, with updates to /update and quick retries."""
    client = SparqlEndpoint(
        f"{oxigraph_server}/query", update_url=f"{oxigraph_server}/update", backoff=0.01
    )
    client.update("DROP ALL")
    return client


class FaultyProxy:
    """Forwards HTTP requests to ``target``; writes numbered ``fail_from`` or later get 500.

    fail_from: 1-based number of the first write (POST/PUT) that fails; None fails none.
    fail_times: how many writes fail from there on (None: all, until ``heal()``).
    """

    def __init__(self, target: str, fail_from=None, fail_times=None):
        self.target = target
        self.fail_from = fail_from
        self.fail_times = fail_times
        self.writes = 0
        self.failed = 0
        self.authorizations = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._forward(None)

            def do_POST(self):
                self._forward(self._body())

            def do_PUT(self):
                self._forward(self._body())

            def _body(self):
                return self.rfile.read(int(self.headers.get("Content-Length", 0)))

            def _forward(self, body):
                if body is not None and "Authorization" in self.headers:
                    proxy.authorizations.append(self.headers["Authorization"])
                if body is not None and proxy._should_fail():
                    self._answer(500, b"injected failure")
                    return
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
                }
                request = urllib.request.Request(
                    proxy.target + self.path, data=body, headers=headers, method=self.command
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        self._answer(response.status, response.read())
                except urllib.error.HTTPError as err:
                    self._answer(err.code, err.read())

            def _answer(self, status, payload):
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _should_fail(self) -> bool:
        with self.lock:
            self.writes += 1
            if self.fail_from is None or self.writes < self.fail_from:
                return False
            if self.fail_times is not None and self.failed >= self.fail_times:
                return False
            self.failed += 1
            return True

    def heal(self) -> None:
        with self.lock:
            self.fail_from = None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def faulty_proxy(oxigraph_server):
    """Make a FaultyProxy before the server: ``faulty_proxy(fail_from=3)``; closed afterwards."""
    proxies = []

    def make(**kwargs) -> FaultyProxy:
        proxy = FaultyProxy(oxigraph_server, **kwargs)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()
