"""``kgx quantize``: a copy of a trained pipeline that loads with an int8 encoder."""

import enum
import itertools
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import KgxInputError
from ..inputs import TextReader, input_files
from ..quantize import write_quantized


class Scheme(str, enum.Enum):
    int8 = "int8"
    none = "none"


def quantize_cli(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package."),
    output: Path = typer.Argument(..., help="Folder for the copy (must not exist, or be empty)."),
    scheme: Scheme = typer.Option(
        Scheme.int8, "--scheme", help="int8: dynamic int8 linear layers (CPU); none: an fp32 copy again.",
    ),
    calibrate: Optional[List[Path]] = typer.Option(
        None, "--calibrate",
        help="Texts like the ones the pipeline will read (.txt, .jsonl, folders): the int8 layers are fitted to them.",
    ),
    calibrate_texts: int = typer.Option(256, "--calibrate-texts", min=1, help="How many of those texts to use."),
) -> None:
    """Write a copy of MODEL whose encoder spacy.load quantises for CPU inference.

    The copy keeps the fp32 weights (training stays fp32) and sets
    `quantize` in its transformer's config; `kgx extract --quantize int8` does the same
    at load time without a copy. With --calibrate, the copy also keeps the encoder's input
    ranges on those texts, and its int8 layers lose less accuracy.
    """
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise KgxInputError(output, "already exists and is not an empty folder; nothing was written")
    texts = None
    if calibrate:
        read = TextReader().read(input_files(calibrate))
        texts = [text for text, _ in itertools.islice(read, calibrate_texts)]
    write_quantized(model, output, None if scheme is Scheme.none else scheme.value, texts)
    calibrated = f", calibrated on {len(texts)} texts" if texts else ""
    typer.echo(f"saved {scheme.value} copy of {model} to {output}{calibrated}")
