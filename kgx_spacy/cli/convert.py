"""``kgx convert``: benchmark datasets → DocBin files with gold annotations."""

from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from ..corpora import DATASETS, convert

Dataset = Enum("Dataset", {name: name for name in DATASETS}, type=str)


def convert_cli(
    dataset: Dataset = typer.Argument(..., help="Dataset to convert."),
    output_dir: Path = typer.Argument(
        ..., help="Folder for <split>.spacy and <split>.report.json."
    ),
    split: Optional[List[str]] = typer.Option(
        None, "--split", "-s", help="Split to convert (repeatable; default: all)."
    ),
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", help="Benchmark data folder (default: $KGX_DATA or ../shared/data)."
    ),
) -> None:
    """Convert a benchmark dataset into spaCy DocBin files, one per split, with a report."""
    reports = convert(dataset.value, output_dir, split, data_dir)
    for report in reports:
        typer.echo(report.summary())
        written = output_dir / report.split
        typer.echo(f"  → {written}.spacy, {written}.report.json")
