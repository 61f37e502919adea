"""``kgx export``: DocBin files → RDF files, the embedded Oxigraph store or a SPARQL endpoint."""

from enum import Enum
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Tuple

import spacy
import typer
from spacy.tokens import Doc, DocBin

from ..errors import KgxInputError, KgxStoreError
from ..rdf.mapping import RDFMapping
from ..rdf.serialize import FORMATS, file_format, write_file
from ..rdf.sparql import SparqlEndpoint, write_endpoint
from ..rdf.store import DEFAULT_BATCH_SIZE, ExportStats, Progress, write_store
from ._app import app, fail_cleanly

DEFAULT_STORE = Path("kgx-store")
DEFAULT_PROGRESS = Path("kgx-export.progress.jsonl")

Format = Enum("Format", {name: name for name in FORMATS}, type=str)


class Protocol(str, Enum):
    update = "update"
    gsp = "gsp"


@app.command("export")
def export_cli(
    inputs: List[Path] = typer.Argument(..., help="DocBin (.spacy) files or folders of them."),
    fmt: Optional[Format] = typer.Option(
        None, "--format", "-f", help="File format; default from the --output extension."
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write one RDF file."),
    store: Optional[Path] = typer.Option(
        None, "--store", help=f"Embedded Oxigraph store folder (the default: ./{DEFAULT_STORE})."
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
    batch_size: int = typer.Option(DEFAULT_BATCH_SIZE, "--batch-size", min=1),
    resume: bool = typer.Option(
        False, "--resume", help="Skip the documents the progress file says are committed."
    ),
    progress: Optional[Path] = typer.Option(
        None, "--progress",
        help=f"Progress file; default: STORE.progress.jsonl beside a store, ./{DEFAULT_PROGRESS} for an endpoint.",
    ),
    base_iri: Optional[str] = typer.Option(
        None, "--base-iri", help="Base for minted IRIs; default: each Doc's kgx_rdf mapping."
    ),
    gold: bool = typer.Option(False, "--gold", help="Annotated Docs: provenance component 'gold'."),
    lang: str = typer.Option("en", "--lang", help="Language of the vocab the DocBins load into."),
):
    """Export Docs as RDF, one named graph per document; re-exporting replaces it.

    With no --format/--output/--endpoint the target is the embedded store ./kgx-store.
    """
    try:
        stats, target = export(
            inputs, fmt=fmt and fmt.value, output=output, store=store, endpoint=endpoint,
            protocol=protocol.value, update_url=update_url, user=user, password=password,
            timeout=timeout, batch_size=batch_size, resume=resume, progress=progress,
            base_iri=base_iri, gold=gold, lang=lang,
        )
    except (KgxInputError, KgxStoreError) as err:
        raise fail_cleanly(err)
    typer.echo(summary(stats, target))


def export(
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
    resume: bool = False,
    progress: Optional[Path] = None,
    base_iri: Optional[str] = None,
    gold: bool = False,
    lang: str = "en",
) -> Tuple[ExportStats, str]:
    """Export DocBin files to one target (the options of ``kgx export``).

    RETURNS: what was written, and the target's name (file, store folder or write URL).
    """
    target = Target(
        output, fmt, store, endpoint, protocol, update_url, user, password, timeout,
        command="kgx export",
    )
    if target.output and resume:
        raise KgxInputError("--resume", "applies to --store and --endpoint only")
    mapping = export_mapping(gold, base_iri)
    docs = read_docbins(inputs, lang)
    checkpoint = target.checkpoint(progress, resume)
    return target.write(docs, mapping, batch_size, checkpoint), target.name


class Target:
    """Where Docs go: one RDF file, the embedded Oxigraph store or a SPARQL endpoint.

    The target options of ``kgx export`` and ``kgx extract``; the constructor only checks
    them (raising KgxInputError) and creates nothing. With none of output, fmt and
    endpoint, the target is the store ``store`` (default ./kgx-store).
    command: names the command in the error for conflicting options.
    default_progress: the progress file for an endpoint when none is given (a store's is
        STORE.progress.jsonl beside it).
    """

    def __init__(
        self,
        output: Optional[Path] = None,
        fmt: Optional[str] = None,
        store: Optional[Path] = None,
        endpoint: Optional[str] = None,
        protocol: str = "update",
        update_url: Optional[str] = None,
        user: Optional[str] = None,
        password: Optional[str] = None,
        timeout: float = 30.0,
        command: str = "kgx export",
        default_progress: Path = DEFAULT_PROGRESS,
    ):
        if sum(map(bool, (output or fmt, store, endpoint))) > 1:
            raise KgxInputError(command, "choose one target: --output, --store or --endpoint")
        if fmt and output is None:
            raise KgxInputError("--format", "needs --output FILE")
        self.output = Path(output) if output else None
        self.format = file_format(output, fmt) if output else None
        self.client = self.store = None
        self.protocol = protocol
        self.default_progress = Path(default_progress)
        if self.output:
            self.name = str(output)
        elif endpoint:
            self.client = SparqlEndpoint(endpoint, update_url, user, password, timeout=timeout)
            self.name = self.client.update_url
        else:
            self.store = Path(store or DEFAULT_STORE)
            self.name = str(self.store)

    def progress_path(self, path: Optional[Path] = None) -> Optional[Path]:
        """``path``, else the default progress file of a store or endpoint; None for a file."""
        if self.output:
            return None
        if self.client:
            return Path(path or self.default_progress)
        return Path(path or self.store.with_name(self.store.name + ".progress.jsonl"))

    def checkpoint(
        self, path: Optional[Path] = None, resume: bool = False, run: Optional[str] = None
    ) -> Optional[Progress]:
        """The progress file of a store or endpoint (None for a file), opened or started.

        run: added to the target in the file's header, so that ``--resume`` refuses a
            progress file written by a different kind of run.
        """
        if self.output:
            return None
        if self.client:
            key = f"{self.protocol} {self.client.update_url}"
        else:
            key = f"store {self.store.resolve()}"
        return Progress(self.progress_path(path), f"{key} {run}" if run else key, resume)

    def write(
        self,
        docs: Iterable[Doc],
        mapping: Optional[RDFMapping] = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        checkpoint: Optional[Progress] = None,
    ) -> ExportStats:
        """Write the Docs (lazily consumed) with the file, store or endpoint writer."""
        if self.output:
            return write_file(docs, self.output, self.format, mapping)
        if self.client:
            return write_endpoint(docs, self.client, mapping, self.protocol, batch_size, checkpoint)
        return write_store(docs, self.store, mapping, batch_size, checkpoint)


def export_mapping(gold: bool, base_iri: Optional[str]) -> Optional[RDFMapping]:
    """The mapping for the whole export; None lets each Doc use its own ``kgx_rdf`` mapping."""
    kwargs = {"base_iri": base_iri} if base_iri else {}
    if gold:
        return RDFMapping.gold(**kwargs)
    return RDFMapping(**kwargs) if kwargs else None


def read_docbins(inputs: Iterable[Path], lang: str = "en") -> Iterator[Doc]:
    """Docs from DocBin files, folders searched recursively for ``*.spacy`` in name order.

    Missing inputs and an unknown ``lang`` raise at once; the files are read lazily.
    """
    files = docbin_files(inputs)
    try:
        vocab = spacy.blank(lang).vocab
    except ImportError:
        raise KgxInputError("--lang", f"spaCy has no language {lang!r}") from None
    return _docs(files, vocab)


def _docs(files: List[Path], vocab) -> Iterator[Doc]:
    for path in files:
        try:
            docbin = DocBin(store_user_data=True).from_disk(path)
        except Exception as err:  # DocBin raises msgpack/zlib/KeyError on a bad file
            raise KgxInputError(path, f"not a DocBin file ({type(err).__name__}: {err})") from None
        yield from docbin.get_docs(vocab)


def docbin_files(inputs: Iterable[Path]) -> List[Path]:
    """Every input file, and the ``*.spacy`` files under every input folder."""
    files = []
    for path in inputs:
        if path.is_dir():
            found = sorted(path.rglob("*.spacy"))
            if not found:
                raise KgxInputError(path, "folder holds no .spacy files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise KgxInputError(path, "no such file or folder")
    return files


def summary(stats: ExportStats, target: str) -> str:
    """One line for the end of an export."""
    line = f"wrote {stats.documents} documents, {stats.quads} quads to {target}"
    if stats.skipped:
        line += f" (skipped {stats.skipped} documents committed by an earlier run)"
    return line
