"""CoNLL04 in SpERT's JSON (the 922/231/288 split): entities and relations over given tokens."""

from pathlib import Path
from typing import List, Tuple

import spacy
from spacy.tokens import Doc

from ..errors import KgxInputError
from ..extensions import DOC_ID, RELATIONS
from ..supervision.records import ConversionReport, EntitySet, relation
from .common import check_offsets, load_json, source_file

NAME = "conll04"
SPLITS = ("train", "dev", "test")


def read(split: str, root: Path) -> Tuple[List[Doc], ConversionReport]:
    """One Doc per sentence of ``conll04/conll04_{split}.json`` under the data folder ``root``."""
    path = source_file(root / "conll04" / f"conll04_{split}.json")
    report = ConversionReport(NAME, split, [str(path)])
    records = load_json(path)
    if not isinstance(records, list):
        raise KgxInputError(path, "expected a JSON list of sentences")
    vocab = spacy.blank("en").vocab
    docs = []
    for index, record in enumerate(records):
        doc = _sentence(path, index, record, vocab, report)
        doc._.set(DOC_ID, f"{NAME}/{split}/{index}")
        report.count(doc)
        docs.append(doc)
    return docs, report


def _sentence(path: Path, index: int, record, vocab, report: ConversionReport) -> Doc:
    where = f"record {index}"
    try:
        tokens = record["tokens"]
        entities = record["entities"]
        relations = record["relations"]
        if not tokens or not all(isinstance(t, str) and t for t in tokens):
            raise KgxInputError(path, "tokens must be a non-empty list of strings", where=where)
        spans = []
        for entity in entities:
            start, end = check_offsets(
                path, entity["start"], entity["end"], len(tokens), "entity", where=where
            )
            spans.append(((start, end), str(entity["type"])))
        gold = []
        for rel in relations:
            head, tail = rel["head"], rel["tail"]
            for arg in (head, tail):
                if not isinstance(arg, int) or not 0 <= arg < len(spans):
                    raise KgxInputError(
                        path, f"relation argument {arg!r} is not an index into {len(spans)} "
                        "entities", where=where,
                    )
            gold.append(relation(spans[head][0], spans[tail][0], str(rel["type"])))
    except (KeyError, TypeError) as err:
        raise KgxInputError(path, f"not a SpERT sentence ({err!r})", where=where) from None
    doc = Doc(vocab, words=tokens, spaces=[True] * (len(tokens) - 1) + [False])
    entity_set = EntitySet()
    for span, label in spans:
        entity_set.add(span, label)
    entity_set.apply(doc, report)
    doc._.set(RELATIONS, gold)
    return doc
