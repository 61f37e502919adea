"""A trained pipeline over raw texts → RDF in one target (the body of ``kgx extract``).

Texts are read lazily (``kgx_spacy.inputs``) and go through ``nlp.pipe`` in the
pipeline's own batches; a writer thread commits the Docs (and, for a store or endpoint,
records them in the progress file) while the next batch runs, and at most about two pipe
batches are held at once, so memory stays bounded however many texts there are.
"""

from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Tuple

from .errors import KgxInputError
from .extensions import DOC_ID, install_extensions
from .inputs import TextReader, input_files
from .iris import document_iri
from .quantize import SCHEMES, load_quantized
from .rdf.component import RDFComponent
from .rdf.mapping import RDFMapping
from .rdf.store import DEFAULT_BATCH_SIZE, ExportStats, Progress
from .rdf.targets import Target

DEFAULT_PROGRESS = Path("kgx-extract.progress.jsonl")


def extract(
    model: str,
    inputs: Iterable[Path],
    target: Target,
    reader: TextReader = TextReader(),
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_process: int = 1,
    gpu_id: int = -1,
    resume: bool = False,
    progress: Optional[Path] = None,
    on_document: Optional[Callable[[], None]] = None,
    quantize: Optional[str] = None,
) -> ExportStats:
    """Run ``model`` over the inputs and write the RDF to ``target`` (``kgx extract``).

    Options, inputs and the model are checked before anything is written. Documents go
    out with their own ``kgx_rdf`` mapping (the defaults of ``RDFMapping`` when the
    pipeline has no ``kgx_rdf``), so they are exactly ``doc._.rdf``.
    reader: how the texts are read (JSON-lines fields, stdin).
    resume: for a store or endpoint, skip (before running the pipeline) the documents
        the progress file records as committed; for a file, ignored: the file is redone.
    progress: the progress file (default: ``target.progress_path()``, with
        ./kgx-extract.progress.jsonl for an endpoint).
    on_document: called as each Doc leaves the pipeline (a progress display).
    quantize: "int8" quantises the pipeline's encoder as it loads (``kgx_spacy.quantize``).
    RETURNS: what was written (``skipped``: documents left out by ``resume``).
    """
    if batch_size < 1 or n_process < 1:
        raise KgxInputError("kgx extract", "--batch-size and --n-process must be at least 1")
    progress = target.progress_path(progress, default=DEFAULT_PROGRESS)
    exclude = {p.resolve() for p in (target.output, progress) if p}
    sources = input_files(inputs, exclude)
    if target.client:
        target.client.check_reachable()
    nlp = load_pipeline(model, gpu_id, quantize)
    mapping = pipeline_mapping(nlp)
    checkpoint = target.checkpoint(progress, resume, run=f"extract {model_key(model)}")
    texts = reader.read(sources)
    resumed = ExportStats()  # counts the skipped documents
    if checkpoint:
        texts = checkpoint.pending(texts, lambda item: document_iri(mapping.base_iri, *item), resumed)
    stats = pipe_to_target(nlp, texts, target, batch_size, n_process, checkpoint, on_document)
    stats.skipped += resumed.skipped
    return stats


def pipe_to_target(
    nlp,
    texts: Iterable[Tuple[str, Optional[str]]],
    target: Target,
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_process: int = 1,
    checkpoint: Optional[Progress] = None,
    on_document: Optional[Callable[[], None]] = None,
) -> ExportStats:
    """``(text, id)`` pairs through a loaded pipeline into ``target`` (``extract``'s engine).

    ``nlp.pipe`` runs in batches of the pipeline's own ``nlp.batch_size`` (at least
    ``batch_size``), so the transformer sorts as many texts by length as it was configured
    to; the writer thread commits them ``batch_size`` at a time, and may hold one pipe
    batch while the next runs.
    """
    pipe_batch = max(batch_size, nlp.batch_size)
    docs = nlp.pipe(
        (make_doc(nlp, text, doc_id) for text, doc_id in texts),
        batch_size=pipe_batch, n_process=n_process,
    )
    if on_document is not None:
        docs = _counted(docs, on_document)
    queued = -(-pipe_batch // batch_size) + 1
    return target.write(docs, None, batch_size, checkpoint, skip_committed=False, queued=queued)


def load_pipeline(model: str, gpu_id: int = -1, quantize: Optional[str] = None):
    """``spacy.load(model)``, on GPU ``gpu_id`` when it is 0 or more, its encoder quantised
    as ``quantize`` (CPU only); KgxInputError if it fails."""
    import spacy

    install_extensions()
    if quantize is not None:
        if quantize not in SCHEMES:
            raise KgxInputError("--quantize", f"must be one of {', '.join(SCHEMES)}, not {quantize!r}")
        if gpu_id >= 0:
            raise KgxInputError("--quantize", "int8 quantisation is for CPU inference: leave out --gpu-id")
    if gpu_id >= 0:
        try:
            spacy.require_gpu(gpu_id)
        except Exception as err:  # thinc raises ValueError, CUDA libraries their own errors
            raise KgxInputError("--gpu-id", f"cannot use GPU {gpu_id} ({err})") from None
    try:
        return load_quantized(model, quantize) if quantize else spacy.load(model)
    except KgxInputError:
        raise
    except (OSError, ValueError, ImportError) as err:
        problem = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise KgxInputError(model, f"cannot load the pipeline: {problem}") from None


def check_pipeline(model: str) -> None:
    """KgxInputError unless ``model`` is a pipeline folder (with a config.cfg) or an
    installed package: what a server or a cluster checks before it starts."""
    import spacy

    path = Path(model)
    if not ((path / "config.cfg").is_file() or (not path.exists() and spacy.util.is_package(model))):
        raise KgxInputError(model, "cannot load the pipeline: not a pipeline folder (no config.cfg) or an installed package")


def pipeline_mapping(nlp) -> RDFMapping:
    """The mapping the pipeline's (last) ``kgx_rdf`` component sets; the defaults without one."""
    mappings = [pipe.mapping for _, pipe in nlp.pipeline if isinstance(pipe, RDFComponent)]
    return mappings[-1] if mappings else RDFMapping()


def model_key(model: str) -> str:
    """The model as the progress file's header names it: an absolute path for a folder."""
    path = Path(model)
    return str(path.resolve()) if path.exists() else model


def make_doc(nlp, text: str, doc_id: Optional[str]):
    """``nlp.make_doc(text)`` with the document id set (None: named by a hash of the text)."""
    doc = nlp.make_doc(text)
    if doc_id is not None:
        doc._.set(DOC_ID, doc_id)
    return doc


def _counted(docs: Iterable, advance: Callable[[], None]) -> Iterator:
    for doc in docs:
        advance()
        yield doc
