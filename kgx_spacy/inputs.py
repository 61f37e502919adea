"""Texts in: ``.txt``, ``.jsonl`` and ``.parquet`` files, folders of them and stdin.

Inputs: ``.txt`` files (one document each, id: the path relative to the folder given,
or the file name for a file given directly), ``.jsonl`` files (one document per line,
id and text from ``id_field``/``text_field``; a record without an id is named by a hash
of its text, as ``nlp(text)._.rdf`` names it), ``.parquet`` files (one document per row,
the same two columns; read with pyarrow), folders (searched recursively for all three,
in sorted order) and ``-`` for stdin (one text, or JSON lines with ``stdin_format``
``"jsonl"``). Texts are read lazily; every bad input raises KgxInputError naming the
file (and line).
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Optional, Set, Tuple

from .errors import KgxInputError
from .io import read_text

STDIN = "-"
SUFFIXES = (".txt", ".jsonl", ".parquet")
PARQUET_ROWS = 1024  # rows read from a Parquet file at a time

# (text, document id or None) for every document, in input order.
Text = Tuple[str, Optional[str]]
# (text, id, line) for one record of a source: line is the row of a Parquet file, None
# for a whole-file text.
Record = Tuple[str, Optional[str], Optional[int]]


@dataclass(frozen=True)
class TextReader:
    """How texts are read from the sources of ``input_files``.

    id_field, text_field: the JSON-lines fields holding a document's id and text.
    stdin_format: ``"text"``: all of stdin is one document; ``"jsonl"``: one per line.
    stdin: the binary stream ``-`` reads (default: ``sys.stdin.buffer``, when read).
    """

    id_field: str = "id"
    text_field: str = "text"
    stdin_format: str = "text"
    stdin: Optional[BinaryIO] = None

    def read(self, sources: list) -> Iterator[Text]:
        """``(text, id)`` for every document of the sources (see ``read_texts``)."""
        stdin = self.stdin if self.stdin is not None else sys.stdin.buffer
        return read_texts(sources, self.id_field, self.text_field, self.stdin_format, stdin)


def input_files(inputs: Iterable[Path], exclude: Set[Path] = frozenset()) -> list:
    """``[(file, folder or None)]`` for every input; ``(STDIN, None)`` for ``-``.

    Folders are searched recursively for ``.txt``, ``.jsonl`` and ``.parquet`` files in sorted order
    (leaving out the paths in ``exclude``: the output and progress files). Missing inputs,
    empty folders and other file types raise KgxInputError at once.
    """
    sources = []
    for path in inputs:
        if str(path) == STDIN:
            if any(source == STDIN for source, _ in sources):
                raise KgxInputError(STDIN, "stdin can be read only once")
            sources.append((STDIN, None))
        elif path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.suffix.lower() in SUFFIXES and p.is_file() and p.resolve() not in exclude
            )
            if not found:
                raise KgxInputError(path, "folder holds no .txt, .jsonl or .parquet files")
            sources.extend((p, path) for p in found)
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise KgxInputError(path, "not a .txt, .jsonl or .parquet file")
            sources.append((path, None))
        else:
            raise KgxInputError(path, "no such file or folder")
    return sources


def read_texts(
    sources: list, id_field: str, text_field: str, stdin_format: str, stdin: BinaryIO
) -> Iterator[Text]:
    """``(text, id)`` for every document of the sources, read lazily, in order.

    Raises KgxInputError naming the file (and line) for bad UTF-8, bad JSON, a record
    without a string text, an id that is not a string or integer, or an id used twice.
    """
    seen = set()
    for source, folder in sources:
        if source == STDIN and stdin_format == "jsonl":
            records = _jsonl(stdin, "<stdin>", id_field, text_field)
        elif source == STDIN:
            records = [(_decode(stdin.read(), "<stdin>", 1, bom=True), None, None)]
        elif source.suffix.lower() == ".jsonl":
            records = _jsonl_file(source, id_field, text_field)
        elif source.suffix.lower() == ".parquet":
            records = _parquet(source, id_field, text_field)
        else:
            doc_id = source.relative_to(folder).as_posix() if folder else source.name
            records = [(_read_txt(source), doc_id, None)]
        name = "<stdin>" if source == STDIN else source
        rows = source != STDIN and source.suffix.lower() == ".parquet"
        for text, doc_id, line in records:
            if doc_id is not None:
                if doc_id in seen:
                    where = {"where": f"row {line}"} if rows else {"line": line}
                    raise KgxInputError(name, f"document id {doc_id!r} is used twice", **where)
                seen.add(doc_id)
            yield text, doc_id


def _read_txt(path: Path) -> str:
    try:
        return read_text(path)
    except OSError as err:
        raise KgxInputError(path, f"cannot read the file ({err.strerror or err})") from None


def _jsonl_file(path: Path, id_field: str, text_field: str) -> Iterator[Record]:
    try:
        with open(path, "rb") as f:
            yield from _jsonl(f, path, id_field, text_field)
    except OSError as err:
        raise KgxInputError(path, f"cannot read the file ({err.strerror or err})") from None


def _jsonl(
    lines: Iterable[bytes], name, id_field: str, text_field: str
) -> Iterator[Record]:
    """``(text, id, line)`` per non-blank line of JSON lines; errors name the line."""
    for number, raw in enumerate(lines, 1):
        line = _decode(raw, name, number, bom=number == 1)
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as err:
            problem = getattr(err, "msg", str(err))
            column = getattr(err, "colno", None)
            where = f" at column {column}" if column else ""
            raise KgxInputError(name, f"not valid JSON ({problem}{where})", line=number) from None
        if not isinstance(record, dict):
            raise KgxInputError(name, "a line must hold a JSON object", line=number)
        if text_field not in record:
            raise KgxInputError(name, f"no {text_field!r} field (see --text-field)", line=number)
        text = record[text_field]
        if not isinstance(text, str):
            raise KgxInputError(name, f"field {text_field!r} is not a string", line=number)
        doc_id = record.get(id_field)
        if isinstance(doc_id, int) and not isinstance(doc_id, bool):
            doc_id = str(doc_id)
        elif doc_id is not None and not isinstance(doc_id, str):
            raise KgxInputError(
                name, f"field {id_field!r} is not a string or an integer", line=number
            )
        yield text, doc_id, number


def _parquet(path: Path, id_field: str, text_field: str) -> Iterator[Record]:
    """``(text, id, row)`` per row of a Parquet file (rows numbered from 1), read in
    blocks; the id column is optional. Errors name the row."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise KgxInputError(path, "reading Parquet needs pyarrow: pip install 'kgx-spacy[ray]'") from None
    try:
        table = pq.ParquetFile(path)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise KgxInputError(path, f"not a Parquet file ({err})") from None
    columns = table.schema_arrow.names
    if text_field not in columns:
        raise KgxInputError(path, f"no {text_field!r} column (see --text-field)")
    wanted = [text_field] + ([id_field] if id_field in columns else [])
    row = 0
    for block in table.iter_batches(batch_size=PARQUET_ROWS, columns=wanted):
        texts = block.column(0).to_pylist()
        ids = block.column(1).to_pylist() if len(wanted) == 2 else [None] * len(texts)
        for text, doc_id in zip(texts, ids):
            row += 1
            if not isinstance(text, str):
                raise KgxInputError(path, f"column {text_field!r} is not a string", where=f"row {row}")
            if isinstance(doc_id, int) and not isinstance(doc_id, bool):
                doc_id = str(doc_id)
            elif doc_id is not None and not isinstance(doc_id, str):
                raise KgxInputError(
                    path, f"column {id_field!r} is not a string or an integer", where=f"row {row}"
                )
            yield text, doc_id, row


def _decode(data: bytes, name, first_line: int, bom: bool = False) -> str:
    """UTF-8 (a leading BOM dropped when ``bom``); a bad byte raises with its line."""
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as err:
        line = first_line + data.count(b"\n", 0, err.start)
        raise KgxInputError(
            name, f"not valid UTF-8 (byte 0x{data[err.start]:02x})", line=line
        ) from None
