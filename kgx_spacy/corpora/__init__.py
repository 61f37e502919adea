"""Converters from the benchmark datasets to DocBin files with gold annotations.

Each dataset module has ``NAME``, ``SPLITS`` and ``read(split, root) -> (docs, report)``;
``convert`` writes ``<split>.spacy`` and ``<split>.report.json`` for the splits asked for,
and whatever else a module's ``write_extras(split, docs, output_dir)`` writes.
"""

import json
import os
from pathlib import Path
from typing import Iterable, List, Optional, Union

from ..errors import KgxInputError
from ..io import atomic_write
from ..supervision.records import ConversionReport, write_docbin
from . import (
    conll04,
    deepke_ae,
    deepke_re,
    knowledgenet,
    webnlg,
    webnlg_distant,
    webnlg_links,
)

DATASETS = {
    m.NAME: m for m in (conll04, knowledgenet, deepke_ae, deepke_re, webnlg, webnlg_links, webnlg_distant)
}

_REPO = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The folder holding the benchmark data: ``$KGX_DATA``, else ``../shared/data`` beside
    the repository."""
    return Path(os.environ.get("KGX_DATA", _REPO.parent / "shared" / "data"))


def convert(
    dataset: str,
    output_dir: Union[str, Path],
    splits: Optional[Iterable[str]] = None,
    data: Optional[Union[str, Path]] = None,
) -> List[ConversionReport]:
    """Convert ``dataset``'s splits into ``output_dir/<split>.spacy`` plus a JSON report.

    dataset: one of ``DATASETS`` (``conll04``, ``knowledgenet``, ``deepke-ae``,
        ``deepke-re``, ``webnlg``, ``webnlg-links``, ``webnlg-distant``).
    splits: split names (default: all of the dataset's splits).
    data: the data folder (default: ``data_dir()``).
    Every split is read in full before its files are written, each atomically: bad input
    raises KgxInputError and leaves existing outputs as they were.
    RETURNS: one report per split, in order.
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    module = DATASETS[dataset]
    root = Path(data) if data is not None else data_dir()
    splits = list(splits or module.SPLITS)
    for split in splits:
        if split not in module.SPLITS:
            raise KgxInputError(
                root, f"{dataset} has no split {split!r} (it has {', '.join(module.SPLITS)})"
            )
    output_dir = Path(output_dir)
    reports = []
    for split in splits:
        docs, report = module.read(split, root)
        write_docbin(docs, output_dir / f"{split}.spacy")
        with atomic_write(output_dir / f"{split}.report.json", "w") as f:
            json.dump(report.to_dict(), f, ensure_ascii=False, indent=2)
        if hasattr(module, "write_extras"):
            module.write_extras(split, docs, output_dir)
        reports.append(report)
    return reports


__all__ = ["DATASETS", "ConversionReport", "convert", "data_dir", "write_docbin"]
