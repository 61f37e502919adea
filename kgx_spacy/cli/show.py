"""``kgx show``: a page that draws what a pipeline finds in texts; ``kgx serve``: the
pipeline behind HTTP, with that page and a read-only SPARQL view of the store."""

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..extract import load_pipeline, make_doc
from ..inputs import STDIN, TextReader, input_files
from ..io import atomic_write
from ..serve import serve
from ..view import render


def show_page(
    model: str, texts: List[str], output: Path, threshold: float = 0.0, reader: TextReader = TextReader()
) -> int:
    """Write the page of the pipeline's Docs of ``texts`` to ``output``; RETURNS how many.

    texts: each a .txt/.jsonl file, a folder of them, ``-`` (stdin), or else the text itself.
    """
    items = []
    for text in texts:
        items += reader.read(input_files([Path(text)])) if _is_source(text) else [(text, None)]
    nlp = load_pipeline(model)
    docs = [make_doc(nlp, text, doc_id) for text, doc_id in items]
    with atomic_write(output, "w") as f:
        f.write(render(list(nlp.pipe(docs)), threshold, title=f"kgx show {Path(model).name}"))
    return len(docs)


def _is_source(text: str) -> bool:
    """Whether an argument names stdin, a file or a folder (rather than being a text)."""
    try:
        return text == STDIN or ("\n" not in text and Path(text).exists())
    except OSError:  # a text too long to be a file name
        return False


def show_cli(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package."),
    texts: List[str] = typer.Argument(
        ..., help="Texts: .txt/.jsonl files, folders of them, - for stdin, or the text itself."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="The HTML page to write."),
    threshold: float = typer.Option(
        0.0, "--threshold", min=0.0, max=1.0, help="Where the page's slider starts: facts below it start hidden."
    ),
):
    """Draw what the pipeline finds: one self-contained HTML page (no network needed)."""
    reader = TextReader(stdin=getattr(sys.stdin, "buffer", sys.stdin))
    count = show_page(model, texts, output, threshold, reader)
    typer.echo(f"{count} documents → {output}")


def serve_cli(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package."),
    store: Optional[Path] = typer.Option(
        None, "--store", help="Embedded Oxigraph store: requests may write to it, /sparql reads it."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    gpu_id: int = typer.Option(-1, "--gpu-id", help="GPU to run on (spacy.require_gpu); -1: CPU."),
    quantize: Optional[str] = typer.Option(None, "--quantize", help="int8: quantise the encoder as it loads (CPU only)."),
    max_bytes: int = typer.Option(1_000_000, "--max-bytes", min=1, help="Largest request body (413 above)."),
    timeout: float = typer.Option(30.0, "--timeout", min=0.001, help="Seconds a request may take (504 after)."),
    max_texts: int = typer.Option(64, "--batch-size", min=1, help="Most texts in one nlp.pipe call."),
):
    """Serve the pipeline over HTTP: POST /extract, GET /sparql (read-only), GET / (the page).

    Needs the serve extra: pip install 'kgx-spacy[serve]'.
    """
    serve(model, store, host, port, gpu_id, quantize, max_bytes, timeout, max_texts)
