"""``kgx export`` (DocBin files) and ``kgx extract`` (texts through a trained pipeline):
the two commands that write RDF to a target, an RDF file, the embedded Oxigraph store or
a SPARQL endpoint.

They share one module so that their target options are declared once, below; the work
is done by ``kgx_spacy.rdf.targets.export``, ``kgx_spacy.extract.extract`` and, with
``--engine ray``, ``kgx_spacy.distributed.extract_ray``.
"""

import sys
import time
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from ..distributed import Cluster, extract_ray, parse_actors
from ..errors import KgxInputError
from ..extract import DEFAULT_PROGRESS as EXTRACT_PROGRESS, extract
from ..inputs import TextReader
from ..rdf.serialize import Format
from ..rdf.store import DEFAULT_BATCH_SIZE, ExportStats
from ..rdf.targets import DEFAULT_PROGRESS as EXPORT_PROGRESS, DEFAULT_STORE, Target, export


class Protocol(str, Enum):
    update = "update"
    gsp = "gsp"


class StdinFormat(str, Enum):
    text = "text"
    jsonl = "jsonl"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


# The target options of both commands (see ``Target``).
FORMAT = typer.Option(None, "--format", "-f", help="File format; default from the --output extension.")
OUTPUT = typer.Option(None, "--output", "-o", help="Write one RDF file.")
STORE = typer.Option(None, "--store", help=f"Embedded Oxigraph store folder (the default: ./{DEFAULT_STORE}).")
ENDPOINT = typer.Option(None, "--endpoint", help="SPARQL endpoint URL.")
PROTOCOL = typer.Option(
    Protocol.update, "--protocol", help="update: SPARQL 1.1 Update; gsp: Graph Store PUT."
)
UPDATE_URL = typer.Option(None, "--update-url", help="Where writes go (Update service or graph store).")
USER = typer.Option(None, "--user", help="HTTP basic auth user.")
PASSWORD = typer.Option(None, "--password", envvar="KGX_PASSWORD", help="HTTP basic auth password.")
TIMEOUT = typer.Option(30.0, "--timeout", help="Seconds per HTTP request.")


def export_cli(
    inputs: List[Path] = typer.Argument(..., help="DocBin (.spacy) files or folders of them."),
    fmt: Optional[Format] = FORMAT,
    output: Optional[Path] = OUTPUT,
    store: Optional[Path] = STORE,
    endpoint: Optional[str] = ENDPOINT,
    protocol: Protocol = PROTOCOL,
    update_url: Optional[str] = UPDATE_URL,
    user: Optional[str] = USER,
    password: Optional[str] = PASSWORD,
    timeout: float = TIMEOUT,
    batch_size: int = typer.Option(DEFAULT_BATCH_SIZE, "--batch-size", min=1),
    resume: bool = typer.Option(
        False, "--resume", help="Skip the documents the progress file says are committed."
    ),
    progress: Optional[Path] = typer.Option(
        None, "--progress",
        help=f"Progress file; default: STORE.progress.jsonl beside a store, ./{EXPORT_PROGRESS} for an endpoint.",
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
    target = Target(
        output, fmt and fmt.value, store, endpoint, protocol.value, update_url, user, password,
        timeout, command="kgx export",
    )
    stats = export(inputs, target, batch_size, resume, progress, base_iri, gold, lang)
    typer.echo(export_summary(stats, target.name))


def extract_cli(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package."),
    inputs: List[Path] = typer.Argument(
        ..., help=".txt and .jsonl files, folders of them, or - for stdin."
    ),
    fmt: Optional[Format] = FORMAT,
    output: Optional[Path] = OUTPUT,
    store: Optional[Path] = STORE,
    endpoint: Optional[str] = ENDPOINT,
    protocol: Protocol = PROTOCOL,
    update_url: Optional[str] = UPDATE_URL,
    user: Optional[str] = USER,
    password: Optional[str] = PASSWORD,
    timeout: float = TIMEOUT,
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1,
        help="Documents per store/endpoint commit; nlp.pipe runs the pipeline's own batch size (at least this).",
    ),
    n_process: int = typer.Option(1, "--n-process", min=1, help="Processes for nlp.pipe."),
    gpu_id: int = typer.Option(-1, "--gpu-id", help="GPU to run on (spacy.require_gpu); -1: CPU."),
    quantize: Optional[str] = typer.Option(
        None, "--quantize", help="int8: quantise the encoder's linear layers as it loads (CPU only).",
    ),
    resume: bool = typer.Option(
        False, "--resume",
        help="Skip the documents the progress file says are committed (store, endpoint).",
    ),
    progress: Optional[Path] = typer.Option(
        None, "--progress",
        help=f"Progress file; default: STORE.progress.jsonl beside a store, ./{EXTRACT_PROGRESS} for an endpoint.",
    ),
    id_field: str = typer.Option("id", "--id-field", help="JSONL field holding the document id."),
    text_field: str = typer.Option("text", "--text-field", help="JSONL field holding the text."),
    stdin_format: StdinFormat = typer.Option(
        StdinFormat.text, "--stdin-format",
        help="text: all of stdin is one document; jsonl: one document per line.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    engine: Engine = typer.Option(
        Engine.local, "--engine", help="local: this process (--n-process forks); ray: actors on a Ray cluster.",
    ),
    address: Optional[str] = typer.Option(
        None, "--address", help="Ray cluster: auto, HOST:PORT or ray://HOST:PORT; default: start a local one.",
    ),
    actors: str = typer.Option("1", "--actors", help="Ray actors: N, or MIN-MAX to add actors while the cluster has room."),
    gpus_per_actor: float = typer.Option(0.0, "--gpus-per-actor", help="GPUs per Ray actor (0.5: two actors per GPU)."),
    cpus_per_actor: float = typer.Option(1.0, "--cpus-per-actor", help="CPUs (and torch threads) per Ray actor."),
    shards: Optional[Path] = typer.Option(
        None, "--shards", help="Ray: the actors write N-Quads shards into this folder (then: oxigraph load).",
    ),
):
    """Run a pipeline over texts and write their RDF, one named graph per document.

    With no --format/--output/--endpoint the target is the embedded store ./kgx-store.
    A killed run restarted with the same command plus --resume skips the documents already
    committed to the store or endpoint; a file output is always written whole, atomically.
    """
    start = time.perf_counter()
    target = Target(
        output, fmt and fmt.value, store, endpoint, protocol.value, update_url, user, password,
        timeout, command="kgx extract",
    )
    stdin = getattr(sys.stdin, "buffer", sys.stdin)
    reader = TextReader(id_field, text_field, stdin_format.value, stdin)
    ray_options = {"--address": address, "--actors": actors != "1", "--gpus-per-actor": gpus_per_actor,
                   "--cpus-per-actor": cpus_per_actor != 1.0, "--shards": shards}
    if engine == Engine.local:
        given = [name for name, value in ray_options.items() if value]
        if given:
            raise KgxInputError(given[0], "needs --engine ray")
    else:
        if n_process != 1 or gpu_id >= 0:
            raise KgxInputError("--engine ray", "use --actors and --gpus-per-actor, not --n-process or --gpu-id")
        if shards and (output or fmt or store or endpoint):
            raise KgxInputError("--shards", "is the target: leave out --output, --store and --endpoint")
        cluster = Cluster(address, parse_actors(actors), gpus_per_actor, cpus_per_actor)
    with _ProgressBar(not quiet) as advance:
        if engine == Engine.local:
            stats = extract(
                model, inputs, target, reader, batch_size, n_process, gpu_id, resume, progress,
                on_document=advance, quantize=quantize,
            )
        else:
            stats = extract_ray(
                model, inputs, target, reader, batch_size, cluster, resume, progress,
                on_document=advance, quantize=quantize, shards=shards,
            )
    name = str(shards) if shards else target.name
    typer.echo(extract_summary(stats, name, time.perf_counter() - start))


def export_summary(stats: ExportStats, target: str) -> str:
    """One line for the end of an export."""
    line = f"wrote {stats.documents} documents, {stats.quads} quads to {target}"
    if stats.skipped:
        line += f" (skipped {stats.skipped} documents committed by an earlier run)"
    return line


def extract_summary(stats: ExportStats, target: str, seconds: float) -> str:
    """One line for the end of an extraction."""
    line = (
        f"extracted {stats.documents} documents, {stats.quads} triples "
        f"to {target} in {seconds:.1f} s"
    )
    if stats.skipped:
        line += f" (skipped {stats.skipped} documents committed by an earlier run)"
    return line


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
