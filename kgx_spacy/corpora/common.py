"""What every converter shares: span alignment and file parsing (gold records: ``kgx_spacy.supervision.records``)."""

import csv
import io
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

from spacy.tokens import Doc

from ..errors import KgxInputError
from ..io import read_text
from ..supervision.records import ConversionReport, Offsets


def source_file(path: Path) -> Path:
    """``path`` if it is a file; otherwise a KgxInputError that says where data is looked for."""
    if not path.is_file():
        raise KgxInputError(path, "file not found (set KGX_DATA or --data-dir)")
    return path


def load_json(path: Path) -> Any:
    """One JSON document; a syntax error names its line and column."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise KgxInputError(
            path, f"malformed JSON: {err.msg}", line=err.lineno, where=f"column {err.colno}"
        ) from None


def iter_jsonl(path: Path) -> Iterator[Tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSON Lines file."""
    # Split on "\n" only: str.splitlines also breaks at U+2028, which JSON strings may hold.
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise KgxInputError(
                path, f"malformed JSON: {err.msg}", line=number, where=f"column {err.colno}"
            ) from None
        if not isinstance(record, dict):
            raise KgxInputError(path, "expected a JSON object", line=number)
        yield number, record


def iter_csv(path: Path, columns: Sequence[str]) -> Iterator[Tuple[int, Dict[str, str]]]:
    """(line number, row) for each row of a CSV file with a header naming ``columns``."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    try:
        header = next(reader, None)
        missing = [c for c in columns if header is None or c not in header]
        if missing:
            raise KgxInputError(path, f"missing column(s) {', '.join(missing)}", line=1)
        first_line = reader.line_num + 1  # a quoted field may span lines
        for row in reader:
            if row and len(row) != len(header):
                raise KgxInputError(
                    path, f"expected {len(header)} fields, found {len(row)}", line=first_line
                )
            if row:
                yield first_line, dict(zip(header, row))
            first_line = reader.line_num + 1
    except csv.Error as err:
        raise KgxInputError(path, f"malformed CSV: {err}", line=reader.line_num) from None


def check_offsets(
    path: Path, start: Any, end: Any, length: int, what: str, **location
) -> Offsets:
    """Validated ``[start, end)`` inside a text of ``length``; anything else is bad input."""
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        raise KgxInputError(
            path, f"{what} offsets must be integers, got {start!r}, {end!r}", **location
        )
    if not 0 <= start < end <= length:
        raise KgxInputError(
            path, f"{what} offsets [{start}, {end}) out of range of a text of length {length}",
            **location,
        )
    return start, end


def find_span(
    path: Path, line: int, sentence: str, text: str, offset: str, what: str,
    report: ConversionReport,
) -> Optional[Offsets]:
    """Character offsets of ``text`` said to start at ``offset`` in ``sentence``.

    An offset off the sentence is bad input; a string that is not at its offset (DeepKE
    writes -1 when it lost one) is data noise: it is taken from the one place it occurs,
    ignoring case (``<what>.moved``), or left out (``<what>.offset_mismatch``).
    """
    try:
        start = int(offset)
    except ValueError:
        raise KgxInputError(
            path, f"{what} offset {offset!r} is not an integer", line=line
        ) from None
    if not text:
        raise KgxInputError(path, f"empty {what}", line=line)
    if not -1 <= start < len(sentence):
        raise KgxInputError(
            path, f"{what} offset {start} out of range of a sentence of length {len(sentence)}",
            line=line,
        )
    if start >= 0 and sentence[start : start + len(text)] == text:
        return start, start + len(text)
    found = [m.span() for m in re.finditer(re.escape(text), sentence, flags=re.IGNORECASE)]
    if len(found) == 1:
        report.repaired[f"{what}.moved"] += 1
        return found[0]
    report.dropped[f"{what}.offset_mismatch"] += 1
    return None


def token_span(doc: Doc, start: int, end: int, report: ConversionReport) -> Optional[Offsets]:
    """Token offsets of the character span ``[start, end)``, widened to token boundaries
    when it cuts a token (counted as ``span.expanded``); None if it covers no token."""
    span = doc.char_span(start, end)
    if span is None:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or len(span) == 0:
            return None
        report.repaired["span.expanded"] += 1
    return span.start, span.end



