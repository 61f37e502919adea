"""The HTTP service of ``kgx serve`` (FastAPI): a trained pipeline, its page, and a
read-only SPARQL view of the store.

- ``POST /extract``: ``{"text": …, "id": …}``, ``{"texts": […]}`` or ``{"documents":
  [{"id", "text"}, …]}``, with ``"store": true`` to write each document's graph into the
  store (replacing it). The answer is ``{"documents": [doc_record …]}``, or by ``Accept``
  the documents' RDF: JSON-LD, Turtle, TriG, N-Quads, N-Triples.
- ``GET /sparql?query=…`` (or ``POST`` of ``application/sparql-query``): a query over the
  store, whose default graph is the union of the document graphs. Updates and federated
  queries (``SERVICE``) are refused.
- ``GET /``: the page of ``kgx_spacy.view`` with a text box; ``GET /health``.

Every error is JSON, ``{"error": "…"}``: 400 bad input, 403 a write on /sparql, 404 no
store, 406 an Accept it cannot answer, 413 a body over ``max_bytes``, 503 while the
pipeline loads (or when it failed to load), 504 past ``timeout`` seconds (a batch the
pipeline has started still finishes, and its store write lands).
"""

import asyncio
import json
import logging
import re
import threading
from dataclasses import dataclass
from typing import Callable, List, Optional, Union

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from starlette.exceptions import HTTPException

from ..rdf.oxigraph import doc_graph
from ..rdf.serialize import FORMATS, PREFIXES
from ..rdf.store import replace_graphs
from ..view import doc_record, page
from .batcher import Batcher

log = logging.getLogger("kgx_spacy.serve")
RDF_MEDIA_TYPES = {fmt.media_type: fmt for fmt in FORMATS.values()}
JSON_MEDIA_TYPES = {"", "*/*", "application/*", "application/json"}


@dataclass
class Settings:
    """Limits of the service.

    max_bytes: largest request body (413 above). timeout: seconds a request may take (504).
    max_wait: seconds the batcher waits for more requests before it runs the pipeline.
    max_texts: most texts in one ``nlp.pipe`` call.
    """

    max_bytes: int = 1_000_000
    timeout: float = 30.0
    max_wait: float = 0.005
    max_texts: int = 64


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: Optional[dict] = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: str
    id: Optional[Union[str, int]] = None


class ExtractRequest(BaseModel):
    """One text (``text``, ``id``), or a batch: ``texts`` or ``documents``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    text: Optional[str] = None
    id: Optional[Union[str, int]] = None
    texts: Optional[List[str]] = Field(None, min_length=1)
    documents: Optional[List[Document]] = Field(None, min_length=1)
    store: bool = False

    @model_validator(mode="after")
    def one_input(self) -> "ExtractRequest":
        given = [name for name in ("text", "texts", "documents") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, texts, documents")
        if self.id is not None and self.text is None:
            raise ValueError("id goes with text; in a batch, give documents with ids")
        return self

    def items(self) -> list:
        """``(text, id)`` per document."""
        if self.text is not None:
            return [(self.text, _id(self.id))]
        if self.texts is not None:
            return [(text, None) for text in self.texts]
        return [(doc.text, _id(doc.id)) for doc in self.documents]


def _id(value) -> Optional[str]:
    return None if value is None else str(value)


class Service:
    """The pipeline, loaded on a thread so that the server answers 503 meanwhile, and its
    batcher."""

    def __init__(self, load: Callable, settings: Settings):
        self.load, self.settings = load, settings
        self.batcher: Optional[Batcher] = None
        self.error: Optional[str] = None
        self.loader = threading.Thread(target=self._load, name="kgx-load", daemon=True)

    def _load(self) -> None:
        try:
            nlp = self.load()
            self.batcher = Batcher(nlp, self.settings.max_wait, self.settings.max_texts)
            log.info("pipeline ready: %s", ", ".join(nlp.pipe_names))
        except Exception as err:
            self.error = str(err) or type(err).__name__
            log.error("the pipeline failed to load: %s", self.error)

    def ready(self) -> Batcher:
        if self.batcher is None:
            if self.error:
                raise ApiError(503, f"the pipeline failed to load: {self.error}")
            raise ApiError(503, "the pipeline is loading; try again shortly", {"Retry-After": "1"})
        return self.batcher


def create_app(load: Callable, store: Optional[ox.Store] = None, settings: Optional[Settings] = None) -> FastAPI:
    """The service: ``load()`` gives the pipeline (run on a thread as the app starts).

    store: an open embedded Oxigraph store for ``"store": true`` and ``/sparql``; None: neither.
    settings: the limits (``Settings()`` when None).
    """
    settings = settings or Settings()
    service = Service(load, settings)

    async def lifespan(app):
        service.loader.start()
        yield
        if service.batcher is not None:
            service.batcher.close()
        if store is not None:
            store.flush()

    app = FastAPI(title="kgx-spacy", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, err: ApiError):
        return JSONResponse({"error": err.message}, err.status, headers=err.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException):
        return JSONResponse({"error": str(err.detail)}, err.status_code, headers=err.headers)

    @app.exception_handler(Exception)
    async def server_error(request: Request, err: Exception):
        log.exception("error while answering %s", request.url.path)
        return JSONResponse({"error": f"server error: {err}"}, 500)

    @app.get("/health")
    async def health():
        if service.batcher is not None:
            nlp = service.batcher.nlp
            return {"status": "ready", "pipeline": nlp.pipe_names, "store": store is not None}
        status = "failed" if service.error else "loading"
        return JSONResponse({"status": status, "error": service.error}, 503)

    @app.get("/", response_class=HTMLResponse)
    async def home():
        return page([], form=True, store=store is not None)

    @app.post("/extract")
    async def extract(request: Request):
        deadline = asyncio.get_running_loop().time() + settings.timeout
        batcher = service.ready()
        body = await _within(deadline, _read_body(request, settings.max_bytes))
        try:
            wanted = ExtractRequest.model_validate_json(body)
        except ValidationError as err:
            raise ApiError(400, _problems(err)) from None
        fmt = _rdf_format(request.headers.get("accept", ""))
        if wanted.store and store is None:
            raise ApiError(400, "this server has no store: start it with kgx serve MODEL --store DIR")

        def finish(docs) -> tuple:  # on the batcher's thread
            graphs = [doc_graph(doc) for doc in docs] if wanted.store or fmt else []
            if wanted.store:
                replace_graphs(store, graphs)  # replaces each document's named graph
                store.flush()
            if fmt is None:
                records = {"documents": [doc_record(doc) for doc in docs]}
                return json.dumps(records, ensure_ascii=False).encode("utf-8"), "application/json"
            return _rdf(graphs, fmt), fmt.media_type

        body, media_type = await _within(deadline, asyncio.wrap_future(batcher.submit(wanted.items(), finish)))
        return Response(body, media_type=media_type)

    @app.get("/sparql")
    async def sparql_get(request: Request, query: Optional[str] = None):
        if query is None:
            raise ApiError(400, "give the query as ?query=…")
        return await _sparql(request, query)

    @app.post("/sparql")
    async def sparql_post(request: Request):
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/sparql-update":
            raise ApiError(403, "/sparql is read-only: SPARQL updates are refused")
        if kind != "application/sparql-query":
            raise ApiError(400, "POST a query as application/sparql-query, or use GET ?query=…")
        deadline = asyncio.get_running_loop().time() + settings.timeout
        body = await _within(deadline, _read_body(request, settings.max_bytes))
        try:
            return await _sparql(request, body.decode("utf-8"))
        except UnicodeDecodeError:
            raise ApiError(400, "the query is not valid UTF-8") from None

    async def _sparql(request: Request, query: str) -> Response:
        if store is None:
            raise ApiError(404, "this server has no store: start it with kgx serve MODEL --store DIR")
        deadline = asyncio.get_running_loop().time() + settings.timeout
        accept = request.headers.get("accept", "")
        body, media_type = await _within(deadline, run_in_threadpool(_run_query, store, query, accept))
        return Response(body, media_type=media_type)

    return app


async def _within(deadline: float, awaitable):
    """``await awaitable``, or 504 once ``deadline`` (event-loop time) has passed."""
    remaining = deadline - asyncio.get_running_loop().time()
    try:
        return await asyncio.wait_for(awaitable, max(remaining, 0.001))
    except asyncio.TimeoutError:
        raise ApiError(504, "the request took longer than the server's time limit") from None


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, or 413 when it is over ``limit`` bytes; an oversized body is read to its end
    and dropped, so the client gets the answer rather than a reset connection."""
    declared = request.headers.get("content-length", "")
    too_large = declared.isdigit() and int(declared) > limit
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        too_large = too_large or size > limit
        if not too_large:
            chunks.append(chunk)
    if too_large:
        raise ApiError(413, f"the request body is over the limit of {limit:,} bytes")
    return b"".join(chunks)


def _problems(err: ValidationError) -> str:
    """Pydantic's errors as one line: where, then what."""
    parts = []
    for error in err.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"])
        parts.append(f"{where}: {error['msg']}" if where else error["msg"])
    return "; ".join(parts)


def _rdf_format(accept: str) -> Optional[ox.RdfFormat]:
    """The RDF format ``accept`` asks for (the first media range it names that we answer);
    None for JSON; 406 when it names none we answer."""
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in JSON_MEDIA_TYPES:
            return None
        if media in RDF_MEDIA_TYPES:
            return RDF_MEDIA_TYPES[media]
    known = ", ".join(["application/json", *RDF_MEDIA_TYPES])
    raise ApiError(406, f"cannot answer Accept: {accept}; ask for one of {known}")


def _rdf(graphs, fmt: ox.RdfFormat) -> bytes:
    """The documents' graphs: named graphs in a quad format, their union in a triple format."""
    quads = [quad for _, graph in graphs for quad in graph]
    return ox.serialize(quads if fmt.supports_datasets else [q.triple for q in quads], format=fmt, prefixes=PREFIXES)


def _check_read_only(query: str) -> None:
    """403 for an update or a federated query (``SERVICE`` would make the server fetch URLs).

    rdflib's parser only reads the text; a text it cannot read as either is left to
    Oxigraph's parser, which says what is wrong (400), unless it names SERVICE.
    """
    try:
        tree = parseQuery(query)
    except Exception:  # pyparsing's ParseException, or rdflib's errors on odd input
        try:
            parseUpdate(query)
        except Exception:
            if re.search(r"(?i)\bSERVICE\b", query):
                raise ApiError(403, "SERVICE (federated queries) is refused") from None
            return
        raise ApiError(403, "/sparql is read-only: SPARQL updates are refused") from None
    if "ServiceGraphPattern" in _names(tree):
        raise ApiError(403, "SERVICE (federated queries) is refused")


def _names(node) -> set:
    """The names of every rule in an rdflib parse tree."""
    found, todo = set(), [node]
    while todo:
        item = todo.pop()
        if isinstance(item, CompValue):
            found.add(item.name)
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)) or type(item).__name__ == "ParseResults":
            todo.extend(item)
    return found


def _run_query(store: ox.Store, query: str, accept: str):
    """(body, media type) of a query's answer: SPARQL results (JSON unless ``accept`` names
    XML, CSV or TSV) for SELECT and ASK, RDF (Turtle unless ``accept`` names another) for
    CONSTRUCT and DESCRIBE."""
    _check_read_only(query)
    try:
        answer = store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES)
    except SyntaxError as err:
        raise ApiError(400, f"not a valid SPARQL query: {err}") from None
    media = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if isinstance(answer, ox.QueryTriples):
        fmt = next((RDF_MEDIA_TYPES[m] for m in media if m in RDF_MEDIA_TYPES), ox.RdfFormat.TURTLE)
        return answer.serialize(format=fmt), fmt.media_type
    formats = [ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV, ox.QueryResultsFormat.TSV]
    by_media = {fmt.media_type: fmt for fmt in formats}
    fmt = next((by_media[m] for m in media if m in by_media), ox.QueryResultsFormat.JSON)
    return answer.serialize(format=fmt), fmt.media_type
