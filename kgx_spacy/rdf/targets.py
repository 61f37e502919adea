"""Where documents go: one RDF file, the embedded Oxigraph store or a SPARQL endpoint.

``Target`` holds the target options of ``kgx export`` and ``kgx extract``; ``export``
writes DocBin files to one (the body of ``kgx export``).
"""

from pathlib import Path
from typing import Iterable, Iterator, List, Optional

import spacy
from spacy.tokens import Doc, DocBin

from ..errors import KgxInputError
from ..extensions import install_extensions
from .mapping import RDFMapping
from .serialize import file_format, write_file
from .sparql import SparqlEndpoint, write_endpoint
from .store import DEFAULT_BATCH_SIZE, QUEUED_BATCHES, ExportStats, Progress, write_store

DEFAULT_STORE = Path("kgx-store")
DEFAULT_PROGRESS = Path("kgx-export.progress.jsonl")


class Target:
    """Where Docs go: one RDF file, the embedded Oxigraph store or a SPARQL endpoint.

    The target options of ``kgx export`` and ``kgx extract``; the constructor only checks
    them (raising KgxInputError) and creates nothing. With none of output, fmt and
    endpoint, the target is the store ``store`` (default ./kgx-store).
    command: names the command in the error for conflicting options.
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
    ):
        if sum(map(bool, (output or fmt, store, endpoint))) > 1:
            raise KgxInputError(command, "choose one target: --output, --store or --endpoint")
        if fmt and output is None:
            raise KgxInputError("--format", "needs --output FILE")
        self.output = Path(output) if output else None
        self.format = file_format(output, fmt) if output else None
        self.client = self.store = None
        self.protocol = protocol
        if self.output:
            self.name = str(output)
        elif endpoint:
            self.client = SparqlEndpoint(endpoint, update_url, user, password, timeout=timeout)
            self.name = self.client.update_url
        else:
            self.store = Path(store or DEFAULT_STORE)
            self.name = str(self.store)

    def progress_path(
        self, path: Optional[Path] = None, default: Path = DEFAULT_PROGRESS
    ) -> Optional[Path]:
        """``path``, else the default progress file of a store or endpoint; None for a file.

        default: an endpoint's progress file when ``path`` is None (a store's is
            STORE.progress.jsonl beside it).
        """
        if self.output:
            return None
        if self.client:
            return Path(path or default)
        return Path(path or self.store.with_name(self.store.name + ".progress.jsonl"))

    def checkpoint(
        self, path: Optional[Path] = None, resume: bool = False, run: Optional[str] = None
    ) -> Optional[Progress]:
        """The progress file of a store or endpoint (None for a file), opened or started.

        path: the progress file (default: ``progress_path()``'s).
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
        skip_committed: bool = True,
        queued: int = QUEUED_BATCHES,
    ) -> ExportStats:
        """Write the Docs (lazily consumed) with the file, store or endpoint writer.

        skip_committed: leave out the Docs ``checkpoint`` records as committed; False
            when the caller has left them out already.
        queued: batches that may wait for a store's or endpoint's writer thread.
        """
        if self.output:
            return write_file(docs, self.output, self.format, mapping)
        if self.client:
            return write_endpoint(
                docs, self.client, mapping, self.protocol, batch_size, checkpoint, skip_committed, queued
            )
        return write_store(docs, self.store, mapping, batch_size, checkpoint, skip_committed, queued)


def export(
    inputs: Iterable[Path],
    target: Target,
    batch_size: int = DEFAULT_BATCH_SIZE,
    resume: bool = False,
    progress: Optional[Path] = None,
    base_iri: Optional[str] = None,
    gold: bool = False,
    lang: str = "en",
) -> ExportStats:
    """Export DocBin files to ``target`` (the options of ``kgx export``).

    resume: for a store or endpoint, skip the Docs the progress file records as
        committed (KgxInputError for a file).
    progress: the progress file (default: ``target.progress_path()``).
    base_iri, gold: the mapping for every Doc (see ``export_mapping``).
    lang: the language of the vocab the DocBins load into.
    RETURNS: what was written (``skipped``: documents left out by ``resume``).
    """
    if target.output and resume:
        raise KgxInputError("--resume", "applies to --store and --endpoint only")
    mapping = export_mapping(gold, base_iri)
    docs = read_docbins(inputs, lang)
    checkpoint = target.checkpoint(progress, resume)
    return target.write(docs, mapping, batch_size, checkpoint)


def export_mapping(gold: bool, base_iri: Optional[str]) -> Optional[RDFMapping]:
    """The mapping for the whole export; None lets each Doc use its own ``kgx_rdf`` mapping."""
    kwargs = {"base_iri": base_iri} if base_iri else {}
    if gold:
        return RDFMapping.gold(**kwargs)
    return RDFMapping(**kwargs) if kwargs else None


def read_docbins(inputs: Iterable[Path], lang: str = "en") -> Iterator[Doc]:
    """Docs from DocBin files, folders searched recursively for ``*.spacy`` in name order.

    Missing inputs and an unknown ``lang`` raise at once; the files are read lazily. The
    kgx Doc extensions are installed, so that the Docs' kgx data (ids, links, relations,
    their ``kgx_rdf`` mapping) can be read.
    """
    install_extensions()
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
