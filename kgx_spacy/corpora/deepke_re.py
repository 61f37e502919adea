"""DeepKE relation extraction (Chinese, DuIE schema): head, relation, tail; one Doc per sentence.

Tokens are characters (``spacy.blank("zh")``'s default segmenter, no download). Entity
types are the schema's (``relation.csv``): its ``head_type`` column holds the type of
the *tail* and ``tail_type`` that of the head (出生地: head 人物, tail 地点 in the data).
"""

from pathlib import Path
from typing import Dict, List, Tuple

import spacy
from spacy.tokens import Doc

from ..errors import KgxInputError
from ..extensions import DOC_ID, RELATIONS
from ..supervision.records import ConversionReport, EntitySet, relation, unique
from .common import find_span, iter_csv, source_file, token_span

NAME = "deepke-re"
SPLITS = ("train", "dev", "test")
FILES = {"train": "train.csv", "dev": "valid.csv", "test": "test.csv"}
COLUMNS = ("sentence", "relation", "head", "head_offset", "tail", "tail_offset")


def read(split: str, root: Path) -> Tuple[List[Doc], ConversionReport]:
    """One Doc per distinct sentence of ``deepke_re_zh/<split file>`` under ``root``."""
    folder = root / "deepke_re_zh"
    path = source_file(folder / FILES[split])
    schema_path = source_file(folder / "relation.csv")
    report = ConversionReport(NAME, split, [str(path), str(schema_path)])
    schema = read_schema(schema_path)
    sentences: Dict[str, list] = {}
    for line, row in iter_csv(path, COLUMNS):
        if row["relation"] not in schema:
            raise KgxInputError(path, f"relation {row['relation']!r} not in {schema_path.name}",
                                line=line)
        sentences.setdefault(row["sentence"], []).append((line, row))
    nlp = spacy.blank("zh")
    docs = []
    for index, (sentence, rows) in enumerate(sentences.items()):
        doc = nlp.make_doc(sentence)
        entities = EntitySet()
        records = []
        for line, row in rows:
            head = find_span(path, line, sentence, row["head"], row["head_offset"], "head", report)
            tail = head and find_span(path, line, sentence, row["tail"], row["tail_offset"],
                                      "tail", report)
            if tail is None:  # counted once per row, by find_span
                continue
            head, tail = token_span(doc, *head, report), token_span(doc, *tail, report)
            if head is None or tail is None:
                report.dropped["rows.no_token"] += 1
                continue
            head_type, tail_type = schema[row["relation"]]
            entities.add(head, head_type)
            entities.add(tail, tail_type)
            records.append(relation(head, tail, row["relation"]))
        entities.apply(doc, report)
        doc._.set(RELATIONS, unique(records, report, "relations"))
        doc._.set(DOC_ID, f"{NAME}/{split}/{index}")
        report.count(doc)
        docs.append(doc)
    return docs, report


def read_schema(path: Path) -> Dict[str, Tuple[str, str]]:
    """relation → (head type, tail type) from DeepKE's ``relation.csv`` (columns swapped)."""
    return {
        row["relation"]: (row["tail_type"], row["head_type"])
        for _, row in iter_csv(path, ("head_type", "tail_type", "relation"))
    }
