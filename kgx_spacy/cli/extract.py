"""``kgx extract``: a trained pipeline over raw texts → RDF files, the embedded store, an endpoint.

Texts are read lazily and go through ``nlp.pipe`` in batches; each batch of Docs is
written (and, for a store or endpoint, committed and recorded in the progress file)
before the next is read, so memory stays bounded however many texts there are.

Inputs: ``.txt`` files (one document each, id: the path relative to the folder given,
or the file name for a file given directly), ``.jsonl`` files (one document per line,
id and text from ``--id-field``/``--text-field``; a record without an id is named by a
hash of its text, as ``nlp(text)._.rdf`` names it), folders (searched recursively for
both, in sorted order) and ``-`` for stdin (one text, or JSON lines with
``--stdin-format jsonl``).
"""

import json
import sys
import time
from enum import Enum
from pathlib import Path
from types import SimpleNamespace
from typing import BinaryIO, Iterable, Iterator, List, Optional, Set, Tuple

import typer

from ..errors import KgxInputError, KgxStoreError
from ..extensions import DOC_ID, install_extensions
from ..io import read_text
from ..rdf.component import RDFComponent
from ..rdf.mapping import RDFMapping
from ..rdf.store import DEFAULT_BATCH_SIZE, ExportStats
from ._app import app, fail_cleanly
from .export import Format, Protocol, Target

STDIN = "-"
SUFFIXES = (".txt", ".jsonl")
DEFAULT_PROGRESS = Path("kgx-extract.progress.jsonl")

# (text, document id or None) for every document, in input order.
Text = Tuple[str, Optional[str]]
# (text, id, line) for one record of a source; line is None for a whole-file text.
Record = Tuple[str, Optional[str], Optional[int]]


class StdinFormat(str, Enum):
    text = "text"
    jsonl = "jsonl"


@app.command("extract")
def extract_cli(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package."),
    inputs: List[Path] = typer.Argument(
        ..., help=".txt and .jsonl files, folders of them, or - for stdin."
    ),
    fmt: Optional[Format] = typer.Option(
        None, "--format", "-f", help="File format; default from the --output extension."
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write one RDF file."),
    store: Optional[Path] = typer.Option(
        None, "--store", help="Embedded Oxigraph store folder (the default: ./kgx-store)."
    ),
    endpoint: Optional[str] = typer.Option(None, "--endpoint", help="SPARQL endpoint URL."),
    protocol: Protocol = typer.Option(
        Protocol.update, "--protocol", help="update: SPARQL 1.1 Update; gsp: Graph Store PUT."
    ),
    update_url: Optional[str] = typer.Option(
        None, "--update-url", help="Where writes go (Update service or graph store)."
    ),
    user: Optional[str] = typer.Option(None, "--user", help="HTTP basic auth user."),
    password: Optional[str] = typer.Option(
        None, "--password", envvar="KGX_PASSWORD", help="HTTP basic auth password."
    ),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds per HTTP request."),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1,
        help="Documents per nlp.pipe batch and per store/endpoint commit.",
    ),
    n_process: int = typer.Option(1, "--n-process", min=1, help="Processes for nlp.pipe."),
    gpu_id: int = typer.Option(-1, "--gpu-id", help="GPU to run on (spacy.require_gpu); -1: CPU."),
    resume: bool = typer.Option(
        False, "--resume",
        help="Skip the documents the progress file says are committed (store, endpoint).",
    ),
    progress: Optional[Path] = typer.Option(
        None, "--progress",
        help=f"Progress file; default: STORE.progress.jsonl beside a store, ./{DEFAULT_PROGRESS} for an endpoint.",
    ),
    id_field: str = typer.Option("id", "--id-field", help="JSONL field holding the document id."),
    text_field: str = typer.Option("text", "--text-field", help="JSONL field holding the text."),
    stdin_format: StdinFormat = typer.Option(
        StdinFormat.text, "--stdin-format",
        help="text: all of stdin is one document; jsonl: one document per line.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
):
    """Run a pipeline over texts and write their RDF, one named graph per document.

    With no --format/--output/--endpoint the target is the embedded store ./kgx-store.
    A killed run restarted with the same command plus --resume skips the documents already
    committed to the store or endpoint; a file output is always written whole, atomically.
    """
    start = time.perf_counter()
    try:
        stats, target = extract(
            model, inputs, fmt=fmt and fmt.value, output=output, store=store, endpoint=endpoint,
            protocol=protocol.value, update_url=update_url, user=user, password=password,
            timeout=timeout, batch_size=batch_size, n_process=n_process, gpu_id=gpu_id,
            resume=resume, progress=progress, id_field=id_field, text_field=text_field,
            stdin_format=stdin_format.value, stdin=getattr(sys.stdin, "buffer", sys.stdin),
            show_progress=not quiet,
        )
    except (KgxInputError, KgxStoreError) as err:
        raise fail_cleanly(err)
    typer.echo(summary(stats, target, time.perf_counter() - start))


def extract(
    model: str,
    inputs: Iterable[Path],
    fmt: Optional[str] = None,
    output: Optional[Path] = None,
    store: Optional[Path] = None,
    endpoint: Optional[str] = None,
    protocol: str = "update",
    update_url: Optional[str] = None,
    user: Optional[str] = None,
    password: Optional[str] = None,
    timeout: float = 30.0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_process: int = 1,
    gpu_id: int = -1,
    resume: bool = False,
    progress: Optional[Path] = None,
    id_field: str = "id",
    text_field: str = "text",
    stdin_format: str = "text",
    stdin: Optional[BinaryIO] = None,
    show_progress: bool = False,
) -> Tuple[ExportStats, str]:
    """Run ``model`` over the inputs and write the RDF to one target (``kgx extract``).

    Options, inputs and the model are checked before anything is written. Documents go
    out with their own ``kgx_rdf`` mapping (the defaults of ``RDFMapping`` when the
    pipeline has no ``kgx_rdf``), so they are exactly ``doc._.rdf``.
    resume: for a store or endpoint, skip (before running the pipeline) the documents
        the progress file records as committed; for a file, ignored: the file is redone.
    stdin: the binary stream ``-`` reads (default: ``sys.stdin.buffer``).
    RETURNS: what was written (``skipped``: documents left out by ``resume``) and the
        target's name.
    """
    target = Target(
        output, fmt, store, endpoint, protocol, update_url, user, password, timeout,
        command="kgx extract", default_progress=DEFAULT_PROGRESS,
    )
    if batch_size < 1 or n_process < 1:
        raise KgxInputError("kgx extract", "--batch-size and --n-process must be at least 1")
    exclude = {p.resolve() for p in (target.output, target.progress_path(progress)) if p}
    sources = input_files(inputs, exclude)
    if target.client:
        target.client.check_reachable()
    nlp = load_pipeline(model, gpu_id)
    mapping = pipeline_mapping(nlp)
    checkpoint = target.checkpoint(progress, resume, run=f"extract {model_key(model)}")
    committed = checkpoint.committed if checkpoint else set()
    stdin = stdin if stdin is not None else sys.stdin.buffer
    texts = read_texts(sources, id_field, text_field, stdin_format, stdin)
    resumed = ExportStats()  # counts the skipped documents
    pending = _pending(texts, mapping, committed, resumed)
    docs = nlp.pipe(
        (_make_doc(nlp, text, doc_id) for text, doc_id in pending),
        batch_size=batch_size, n_process=n_process,
    )
    with _ProgressBar(show_progress) as advance:
        stats = target.write(_counted(docs, advance), None, batch_size, checkpoint)
    stats.skipped += resumed.skipped
    return stats, target.name


def input_files(inputs: Iterable[Path], exclude: Set[Path] = frozenset()) -> list:
    """``[(file, folder or None)]`` for every input; ``(STDIN, None)`` for ``-``.

    Folders are searched recursively for ``.txt`` and ``.jsonl`` files in sorted order
    (leaving out the paths in ``exclude``: the output and progress files). Missing inputs,
    empty folders and other file types raise KgxInputError at once.
    """
    sources = []
    for path in inputs:
        if str(path) == STDIN:
            if any(source == STDIN for source, _ in sources):
                raise KgxInputError(STDIN, "stdin can be read only once")
            sources.append((STDIN, None))
        elif path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.suffix.lower() in SUFFIXES and p.is_file() and p.resolve() not in exclude
            )
            if not found:
                raise KgxInputError(path, "folder holds no .txt or .jsonl files")
            sources.extend((p, path) for p in found)
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise KgxInputError(path, "not a .txt or .jsonl file")
            sources.append((path, None))
        else:
            raise KgxInputError(path, "no such file or folder")
    return sources


def read_texts(
    sources: list, id_field: str, text_field: str, stdin_format: str, stdin: BinaryIO
) -> Iterator[Text]:
    """``(text, id)`` for every document of the sources, read lazily, in order.

    Raises KgxInputError naming the file (and line) for bad UTF-8, bad JSON, a record
    without a string text, an id that is not a string or integer, or an id used twice.
    """
    seen = set()
    for source, folder in sources:
        if source == STDIN and stdin_format == "jsonl":
            records = _jsonl(stdin, "<stdin>", id_field, text_field)
        elif source == STDIN:
            records = [(_decode(stdin.read(), "<stdin>", 1, bom=True), None, None)]
        elif source.suffix.lower() == ".jsonl":
            records = _jsonl_file(source, id_field, text_field)
        else:
            doc_id = source.relative_to(folder).as_posix() if folder else source.name
            records = [(_read_txt(source), doc_id, None)]
        name = "<stdin>" if source == STDIN else source
        for text, doc_id, line in records:
            if doc_id is not None:
                if doc_id in seen:
                    raise KgxInputError(name, f"document id {doc_id!r} is used twice", line=line)
                seen.add(doc_id)
            yield text, doc_id


def _read_txt(path: Path) -> str:
    try:
        return read_text(path)
    except OSError as err:
        raise KgxInputError(path, f"cannot read the file ({err.strerror or err})") from None


def _jsonl_file(path: Path, id_field: str, text_field: str) -> Iterator[Record]:
    try:
        with open(path, "rb") as f:
            yield from _jsonl(f, path, id_field, text_field)
    except OSError as err:
        raise KgxInputError(path, f"cannot read the file ({err.strerror or err})") from None


def _jsonl(
    lines: Iterable[bytes], name, id_field: str, text_field: str
) -> Iterator[Record]:
    """``(text, id, line)`` per non-blank line of JSON lines; errors name the line."""
    for number, raw in enumerate(lines, 1):
        line = _decode(raw, name, number, bom=number == 1)
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as err:
            problem = getattr(err, "msg", str(err))
            column = getattr(err, "colno", None)
            where = f" at column {column}" if column else ""
            raise KgxInputError(name, f"not valid JSON ({problem}{where})", line=number) from None
        if not isinstance(record, dict):
            raise KgxInputError(name, "a line must hold a JSON object", line=number)
        if text_field not in record:
            raise KgxInputError(name, f"no {text_field!r} field (see --text-field)", line=number)
        text = record[text_field]
        if not isinstance(text, str):
            raise KgxInputError(name, f"field {text_field!r} is not a string", line=number)
        doc_id = record.get(id_field)
        if isinstance(doc_id, int) and not isinstance(doc_id, bool):
            doc_id = str(doc_id)
        elif doc_id is not None and not isinstance(doc_id, str):
            raise KgxInputError(
                name, f"field {id_field!r} is not a string or an integer", line=number
            )
        yield text, doc_id, number


def _decode(data: bytes, name, first_line: int, bom: bool = False) -> str:
    """UTF-8 (a leading BOM dropped when ``bom``); a bad byte raises with its line."""
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as err:
        line = first_line + data.count(b"\n", 0, err.start)
        raise KgxInputError(
            name, f"not valid UTF-8 (byte 0x{data[err.start]:02x})", line=line
        ) from None


def load_pipeline(model: str, gpu_id: int = -1):
    """``spacy.load(model)``, on GPU ``gpu_id`` when it is 0 or more; KgxInputError if it fails."""
    import spacy

    install_extensions()
    if gpu_id >= 0:
        try:
            spacy.require_gpu(gpu_id)
        except Exception as err:  # thinc raises ValueError, CUDA libraries their own errors
            raise KgxInputError("--gpu-id", f"cannot use GPU {gpu_id} ({err})") from None
    try:
        return spacy.load(model)
    except (OSError, ValueError, ImportError) as err:
        problem = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise KgxInputError(model, f"cannot load the pipeline: {problem}") from None


def pipeline_mapping(nlp) -> RDFMapping:
    """The mapping the pipeline's (last) ``kgx_rdf`` component sets; the defaults without one."""
    mappings = [pipe.mapping for _, pipe in nlp.pipeline if isinstance(pipe, RDFComponent)]
    return mappings[-1] if mappings else RDFMapping()


def doc_iri(mapping: RDFMapping, text: str, doc_id: Optional[str]) -> str:
    """The IRI ``mapping`` gives the Doc of ``text`` with id ``doc_id``, without making the Doc.

    ``RDFMapping.doc_iri`` reads only ``doc._.kgx_doc_id`` and ``doc.text`` (spaCy keeps
    the text verbatim), so a stand-in with those two gives the very same IRI.
    """
    stand_in = SimpleNamespace(text=text, _=SimpleNamespace(get=lambda name: doc_id))
    return str(mapping.doc_iri(stand_in))


def model_key(model: str) -> str:
    """The model as the progress file's header names it: an absolute path for a folder."""
    path = Path(model)
    return str(path.resolve()) if path.exists() else model


def _make_doc(nlp, text: str, doc_id: Optional[str]):
    doc = nlp.make_doc(text)
    if doc_id is not None:
        doc._.set(DOC_ID, doc_id)
    return doc


def _pending(texts: Iterable[Text], mapping: RDFMapping, committed: set, stats: ExportStats):
    """The texts whose Doc IRI is not in ``committed``; the others are counted as skipped."""
    for text, doc_id in texts:
        if committed and doc_iri(mapping, text, doc_id) in committed:
            stats.skipped += 1
        else:
            yield text, doc_id


def _counted(docs: Iterable, advance) -> Iterator:
    for doc in docs:
        advance()
        yield doc


class _ProgressBar:
    """A rich progress display on stderr (documents, documents/s, elapsed); yields ``advance``.

    Starts only once the first Doc is wanted: with ``n_process`` > 1 spaCy forks its
    workers then, and they should not inherit the display's refresh thread.
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.display = None

    def __enter__(self):
        return self.advance

    def advance(self) -> None:
        if not self.enabled:
            return
        if self.display is None:
            self.display = _make_display()
            self.task = self.display.add_task("extracting", total=None)
            self.display.start()
        self.display.advance(self.task)

    def __exit__(self, *exc):
        if self.display is not None:
            self.display.stop()
        return False


def _make_display():
    from rich.console import Console
    from rich.progress import (
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text as RichText

    class RateColumn(ProgressColumn):
        def render(self, task):
            speed = task.finished_speed or task.speed
            return RichText(f"{speed:,.1f} documents/s" if speed else "… documents/s")

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} documents"),
        RateColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )


def summary(stats: ExportStats, target: str, seconds: float) -> str:
    """One line for the end of an extraction."""
    line = (
        f"extracted {stats.documents} documents, {stats.quads} triples "
        f"to {target} in {seconds:.1f} s"
    )
    if stats.skipped:
        line += f" (skipped {stats.skipped} documents committed by an earlier run)"
    return line
