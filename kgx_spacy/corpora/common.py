"""What every converter shares: the report, span alignment, entity sets and file parsing."""

import csv
import io
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from ..attributes.normalize import Normalized, normalize_value
from ..errors import KgxInputError
from ..extensions import ATTRIBUTES, GOLD_TRIPLES, LINKS, RELATIONS
from ..io import read_text

Offsets = Tuple[int, int]


@dataclass
class ConversionReport:
    """What a converter produced from one split, and what it had to drop or repair.

    dropped: reason → how many annotations were left out (``"ents.overlap"``: a span kept
        in relations/attributes but not in doc.ents, which cannot overlap).
    repaired: reason → how many annotations were kept after a fix (``"span.expanded"``: a
        character span widened to token boundaries).
    """

    dataset: str
    split: str
    sources: List[str]
    docs: int = 0
    entities: int = 0
    relations: int = 0
    attributes: int = 0
    links: int = 0
    gold_triples: int = 0
    dropped: Counter = field(default_factory=Counter)
    repaired: Counter = field(default_factory=Counter)

    def count(self, doc: Doc) -> None:
        """Add one converted Doc's annotations to the totals."""
        self.docs += 1
        self.entities += len(doc.ents)
        self.relations += len(doc._.get(RELATIONS))
        self.attributes += len(doc._.get(ATTRIBUTES))
        self.links += len(doc._.get(LINKS))
        self.gold_triples += len(doc._.get(GOLD_TRIPLES))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["dropped"] = dict(sorted(self.dropped.items()))
        data["repaired"] = dict(sorted(self.repaired.items()))
        return data

    def summary(self) -> str:
        """One line for the command line."""
        counts = (
            f"{self.docs} docs, {self.entities} entities, {self.relations} relations, "
            f"{self.attributes} attributes, {self.links} links"
        )
        if self.gold_triples:
            counts += f", {self.gold_triples} gold triples"
        for name, table in (("dropped", self.dropped), ("repaired", self.repaired)):
            if table:
                counts += f"; {name}: " + ", ".join(f"{k} {v}" for k, v in sorted(table.items()))
        return f"{self.dataset}/{self.split}: {counts}"


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


class EntitySet:
    """The typed, optionally linked spans of one Doc, collected before they become doc.ents."""

    def __init__(self):
        self.labels: Dict[Offsets, Counter] = {}
        self.iris: Dict[Offsets, str] = {}

    def add(self, span: Offsets, label: str, iri: Optional[str] = None) -> None:
        self.labels.setdefault(span, Counter())[label] += 1
        if iri and span not in self.iris:
            self.iris[span] = iri

    def apply(self, doc: Doc, report: ConversionReport) -> None:
        """Set doc.ents (non-overlapping: the longest spans win), ent.kb_id_ and kgx_links.

        A span given several labels keeps its most frequent one (``ents.label_conflict``);
        links are written for every linked span, in doc.ents or not.
        """
        spans = []
        for (start, end), labels in self.labels.items():
            if len(labels) > 1:
                report.repaired["ents.label_conflict"] += 1
            label = labels.most_common(1)[0][0]
            spans.append(Span(doc, start, end, label=label, kb_id=self.iris.get((start, end), "")))
        kept = filter_spans(spans)
        if len(kept) < len(spans):
            report.dropped["ents.overlap"] += len(spans) - len(kept)
        doc.ents = kept
        doc._.set(
            LINKS,
            [
                {"start": s, "end": e, "iri": iri, "score": 1.0, "nil": False}
                for (s, e), iri in sorted(self.iris.items())
            ],
        )


def literal_for(text: str, kind: Optional[str], lang: str) -> Normalized:
    """The typed literal of an attribute value as written (see ``attributes.normalize``)."""
    return normalize_value(text, kind, lang)


def attribute(entity: Offsets, value: Offsets, name: str, text: str, kind: Optional[str], lang: str) -> dict:
    """A gold attribute record of the Doc contract; ``text`` is the value as written.

    kind: what the attribute holds (date, number, quantity, string), for the normaliser.
    """
    literal = literal_for(text, kind, lang)
    record = {
        "entity": list(entity), "value": list(value), "attribute": name, "score": 1.0,
        "lexical": literal.lexical, "datatype": literal.datatype,
    }
    if literal.lang:
        record["lang"] = literal.lang
    return record


def relation(head: Offsets, tail: Offsets, label: str) -> dict:
    """A gold relation record of the Doc contract."""
    return {"head": list(head), "tail": list(tail), "label": label, "score": 1.0}


def unique(records: Iterable[dict], report: ConversionReport, kind: str) -> List[dict]:
    """The records without repeats (counted as ``<kind>.duplicate``), in their first order."""
    seen, kept = set(), []
    for record in records:
        key = json.dumps(record, sort_keys=True)
        if key in seen:
            report.dropped[f"{kind}.duplicate"] += 1
        else:
            seen.add(key)
            kept.append(record)
    return kept
