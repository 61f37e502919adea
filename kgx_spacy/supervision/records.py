"""Gold records: what converters and distant supervision write into training Docs.

The relation and attribute records of the Doc contract (``kgx_spacy.extensions``), the
typed, linked entity spans of one Doc before they become ``doc.ents``, and the report of
what was produced, dropped or repaired.
"""

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans

from ..extensions import ATTRIBUTES, GOLD_TRIPLES, LINKS, RELATIONS, install_extensions
from ..io import atomic_write
from ..literals import normalize_value

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

    def __post_init__(self):
        install_extensions()  # the Docs this report counts carry the contract's records

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


def attribute(entity: Offsets, value: Offsets, name: str, text: str, kind: Optional[str], lang: str) -> dict:
    """A gold attribute record of the Doc contract; ``text`` is the value as written.

    kind: what the attribute holds (date, number, quantity, string), for the normaliser.
    """
    literal = normalize_value(text, kind, lang)
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


def write_docbin(docs: Iterable[Doc], path: Path) -> None:
    """Save ``docs`` with their user data (gold relations, attributes, links, ids)."""
    docbin = DocBin(store_user_data=True, docs=docs)
    with atomic_write(path) as f:
        f.write(docbin.to_bytes())
