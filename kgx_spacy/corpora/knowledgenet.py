"""KnowledgeNet (our JSONL of the official table): one Doc per passage, with every fact of it.

Each passage is exhaustively annotated for some properties only (a row per property, with
or without a fact); those go to ``doc._.kgx_annotated_labels`` so scorers, like the
official evaluator, ignore predictions of the other properties there.

Splits: folds 1–2 → train, fold 3 → dev, fold 4 → test (fold 5, the official test, is
hidden upstream). Folds hold whole documents, so no document straddles two splits.
Entity types are not annotated; they follow from each property's domain and range.
"""

from pathlib import Path
from typing import Dict, List, Optional, Tuple

import spacy
from spacy.tokens import Doc

from ..errors import KgxInputError
from ..extensions import ANNOTATED_LABELS, ATTRIBUTES, DOC_ID, LINKS, RELATIONS
from ..supervision.records import (
    ConversionReport,
    EntitySet,
    Offsets,
    attribute,
    relation,
    unique,
)
from .common import check_offsets, iter_jsonl, source_file, token_span

NAME = "knowledgenet"
SPLITS = ("train", "dev", "test")
FOLDS = {"train": (1, 2), "dev": (3,), "test": (4,)}
FILE = "knowledgenet_train_facts_from_html.jsonl"

# property → (subject type, object type); None: the object is a literal (an attribute value).
PROPERTIES: Dict[str, Tuple[str, Optional[str]]] = {
    "CEO": ("ORG", "PER"),
    "CHILD_OF": ("PER", "PER"),
    "DATE_FOUNDED": ("ORG", None),
    "DATE_OF_BIRTH": ("PER", None),
    "DATE_OF_DEATH": ("PER", None),
    "EDUCATED_AT": ("PER", "ORG"),
    "EMPLOYEE_OR_MEMBER_OF": ("PER", "ORG"),
    "FOUNDED_BY": ("ORG", "PER"),
    "HEADQUARTERS": ("ORG", "LOC"),
    "NATIONALITY": ("PER", "LOC"),
    "PLACE_OF_BIRTH": ("PER", "LOC"),
    "PLACE_OF_RESIDENCE": ("PER", "LOC"),
    "POLITICAL_AFFILIATION": ("PER", "ORG"),
    "SPOUSE": ("PER", "PER"),
    "SUBSIDIARY_OF": ("ORG", "ORG"),
}
_FACT_KEYS = ("subjectStart", "subjectEnd", "subjectText", "objectStart", "objectEnd", "objectText")


def read(split: str, root: Path) -> Tuple[List[Doc], ConversionReport]:
    """One Doc per passage of the split's folds, facts or not, under the data folder ``root``."""
    path = source_file(root / "knowledgenet" / FILE)
    report = ConversionReport(NAME, split, [str(path)])
    passages: Dict[str, dict] = {}
    for line, row in iter_jsonl(path):
        _check_row(path, line, row)
        if row["fold"] not in FOLDS[split]:
            continue
        passage = passages.setdefault(row["passageId"], {"row": row, "facts": [], "properties": set()})
        passage["properties"].add(row["property"])
        first = passage["row"]
        if any(row[key] != first[key] for key in ("passageText", "passageStart")):
            raise KgxInputError(
                path, f"passage {row['passageId']} has another text or start than before",
                line=line,
            )
        if row["fact"] is not None:
            passage["facts"].append((line, row))
    nlp = spacy.blank("en")
    docs = []
    for passage_id, passage in passages.items():
        doc = _passage(path, nlp, passage["row"]["passageText"], passage["facts"], report)
        doc._.set(DOC_ID, f"{NAME}/{split}/{passage_id}")
        doc._.set(ANNOTATED_LABELS, sorted(passage["properties"]))
        report.count(doc)
        docs.append(doc)
    return docs, report


def _check_row(path: Path, line: int, row: dict) -> None:
    for key, kind in (("fold", int), ("passageId", str), ("passageStart", int),
                      ("passageText", str), ("property", str)):
        if not isinstance(row.get(key), kind):
            raise KgxInputError(path, f"{key!r} missing or not {kind.__name__}", line=line)
    if row["property"] not in PROPERTIES:
        raise KgxInputError(path, f"unknown property {row['property']!r}", line=line)
    fact = row.get("fact", ...)
    if fact is ...:
        raise KgxInputError(path, "'fact' missing (null for a passage without facts)", line=line)
    if fact is not None and (not isinstance(fact, dict) or any(k not in fact for k in _FACT_KEYS)):
        raise KgxInputError(path, f"'fact' must be null or have {', '.join(_FACT_KEYS)}", line=line)


def _passage(path: Path, nlp, text: str, facts: list, report: ConversionReport) -> Doc:
    doc = nlp.make_doc(text)
    entities = EntitySet()
    relations, attributes = [], []
    for line, row in facts:
        fact, prop = row["fact"], row["property"]
        subject_type, object_type = PROPERTIES[prop]
        subject = _argument(path, line, row, "subject", doc, report)
        value = subject and _argument(path, line, row, "object", doc, report)
        if value is None:  # counted once per fact, by _argument
            continue
        entities.add(subject, subject_type, fact.get("subjectUri"))
        if object_type is None:
            attributes.append(attribute(subject, value, prop, fact["objectText"], "date", "en"))
        else:
            entities.add(value, object_type, fact.get("objectUri"))
            relations.append(relation(subject, value, prop))
    entities.apply(doc, report)
    doc._.set(RELATIONS, unique(relations, report, "relations"))
    doc._.set(ATTRIBUTES, unique(attributes, report, "attributes"))
    return doc


def _argument(
    path: Path, line: int, row: dict, role: str, doc: Doc, report: ConversionReport
) -> Optional[Offsets]:
    """Token offsets of a fact's subject or object; None (counted) when they cannot be had."""
    fact, base = row["fact"], row["passageStart"]
    start = fact[f"{role}Start"]
    end = fact[f"{role}End"]
    if isinstance(start, int) and isinstance(end, int):
        start, end = start - base, end - base
    start, end = check_offsets(path, start, end, len(doc.text), role, line=line)
    if doc.text[start:end] != fact[f"{role}Text"]:
        report.dropped["facts.text_mismatch"] += 1
        return None
    span = token_span(doc, start, end, report)
    if span is None:
        report.dropped["facts.no_token"] += 1
    return span


# -- the official evaluator's text-span rule ----------------------------------------------

Fact = Tuple[str, Tuple[int, int], Tuple[int, int]]


def doc_facts(doc: Doc) -> List[Fact]:
    """(property, subject characters, object characters) of every relation and attribute,
    limited to the properties the Doc is annotated for when it says."""
    facts = []
    for records, first, second, key in ((RELATIONS, "head", "tail", "label"), (ATTRIBUTES, "entity", "value", "attribute")):
        for record in doc._.get(records):
            subject, obj = doc[slice(*record[first])], doc[slice(*record[second])]
            facts.append((record[key], (subject.start_char, subject.end_char), (obj.start_char, obj.end_char)))
    labels = doc._.get(ANNOTATED_LABELS)
    return [f for f in facts if f[0] in labels] if labels else facts


def _overlap(a: Tuple[int, int], b: Tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def span_overlap_score(pairs) -> Dict[str, object]:
    """KnowledgeNet's ``span_overlap`` evaluation of (predicted Doc, gold Doc) pairs.

    A predicted fact matches a gold fact of the same passage when the property is the same
    and both the subject and the object character spans overlap. Precision counts the
    predicted facts that match some gold fact; recall the gold facts some prediction
    matches. Only the properties the gold passage is annotated for are scored.
    RETURNS: text_p, text_r, text_f1 and text_f1_per_property.
    """
    counts: Dict[str, List[int]] = {}  # property → [matched predictions, predictions, matched gold, gold]
    for predicted, gold in pairs:
        labels = gold._.get(ANNOTATED_LABELS)
        pred_facts = [f for f in doc_facts(predicted) if not labels or f[0] in labels]
        gold_facts = doc_facts(gold)

        def same(a: Fact, b: Fact) -> bool:
            return a[0] == b[0] and _overlap(a[1], b[1]) and _overlap(a[2], b[2])

        for fact in pred_facts:
            c = counts.setdefault(fact[0], [0, 0, 0, 0])
            c[0] += any(same(fact, g) for g in gold_facts)
            c[1] += 1
        for fact in gold_facts:
            c = counts.setdefault(fact[0], [0, 0, 0, 0])
            c[2] += any(same(p, fact) for p in pred_facts)
            c[3] += 1

    def scores(c: List[int]) -> Dict[str, float]:
        p = c[0] / c[1] if c[1] else 0.0
        r = c[2] / c[3] if c[3] else 0.0
        return {"p": p, "r": r, "f": 2 * p * r / (p + r) if p + r else 0.0}

    total = scores([sum(c[i] for c in counts.values()) for i in range(4)])
    return {
        "text_p": total["p"], "text_r": total["r"], "text_f1": total["f"],
        "text_f1_per_property": {prop: scores(c)["f"] for prop, c in sorted(counts.items())},
    }


# -- the official evaluator's link rule ---------------------------------------------------

Link = Tuple[str, str, str]


def doc_links(doc: Doc) -> List[Link]:
    """(subject IRI, property, object IRI) of every relation whose two ends are linked to
    the KG: an entity with a ``kb_id_`` that ``doc._.kgx_links`` does not mark NIL (a
    minted IRI is no KG IRI). Limited to the properties the Doc is annotated for when it
    says."""
    nil = {(r["start"], r["end"]) for r in doc._.get(LINKS) if r.get("nil")}
    iris = {(e.start, e.end): e.kb_id_ for e in doc.ents if e.kb_id_ and (e.start, e.end) not in nil}
    labels = doc._.get(ANNOTATED_LABELS)
    links = []
    for record in doc._.get(RELATIONS):
        subject, obj = iris.get(tuple(record["head"])), iris.get(tuple(record["tail"]))
        if subject and obj and (not labels or record["label"] in labels):
            links.append((subject, record["label"], obj))
    return list(dict.fromkeys(links))


def link_score(pairs) -> Dict[str, object]:
    """KnowledgeNet's ``uri`` evaluation of (predicted Doc, gold Doc) pairs.

    Facts are (subject IRI, property, object IRI), distinct per passage, both ends linked
    (gold facts without both IRIs and the date attributes are left out, as the official
    evaluator's ``filterForURIEvaluation`` does). A gold fact is found when the passage's
    prediction holds the same triple; a predicted fact that is not gold counts against
    precision when the passage is annotated for its property.
    RETURNS: link_p, link_r, link_f1, the counts (link_tp, link_fp, link_fn) and
    link_f1_per_property.
    """
    counts: Dict[str, List[int]] = {}  # property → [tp, fp, fn]
    for predicted, gold in pairs:
        labels = gold._.get(ANNOTATED_LABELS)
        gold_links, found = set(doc_links(gold)), doc_links(predicted)
        for link in found:
            if not labels or link[1] in labels:
                counts.setdefault(link[1], [0, 0, 0])[0 if link in gold_links else 1] += 1
        for link in gold_links - set(found):
            counts.setdefault(link[1], [0, 0, 0])[2] += 1

    def f1(tp: int, fp: int, fn: int) -> Dict[str, float]:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return {"p": p, "r": r, "f": 2 * p * r / (p + r) if p + r else 0.0}

    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    total = f1(tp, fp, fn)
    return {
        "link_p": total["p"], "link_r": total["r"], "link_f1": total["f"],
        "link_tp": tp, "link_fp": fp, "link_fn": fn,
        "link_f1_per_property": {prop: f1(*c)["f"] for prop, c in sorted(counts.items())},
    }
