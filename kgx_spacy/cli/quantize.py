"""``kgx quantize``: a copy of a trained pipeline that loads with an int8 encoder."""

import enum
from pathlib import Path

import typer

from ..errors import KgxInputError
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
) -> None:
    """Write a copy of MODEL whose encoder spacy.load quantises for CPU inference.

    The copy keeps the fp32 weights (training stays fp32) and sets
    `quantize` in its transformer's config; `kgx extract --quantize int8` does the same
    at load time without a copy.
    """
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise KgxInputError(output, "already exists and is not an empty folder; nothing was written")
    write_quantized(model, output, None if scheme is Scheme.none else scheme.value)
    typer.echo(f"saved {scheme.value} copy of {model} to {output}")
