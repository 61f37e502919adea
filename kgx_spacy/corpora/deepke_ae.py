"""DeepKE attribute extraction (Chinese): entity + attribute + value, one Doc per sentence.

Tokens are characters (``spacy.blank("zh")``'s default segmenter, no download). The
entity's type is not annotated; it follows from the attribute.
"""

from pathlib import Path
from typing import Dict, List, Tuple

import spacy
from spacy.tokens import Doc

from ..errors import KgxInputError
from ..extensions import ATTRIBUTES, DOC_ID
from ..literals import KIND_DATE, KIND_QUANTITY, KIND_STRING
from ..supervision.records import ConversionReport, EntitySet, attribute, unique
from .common import find_span, iter_csv, source_file, token_span

NAME = "deepke-ae"
SPLITS = ("train", "dev", "test")
FILES = {"train": "train.csv", "dev": "valid.csv", "test": "test.csv"}
COLUMNS = ("sentence", "attribute", "entity", "entity_offset", "attribute_value",
           "attribute_value_offset")

# attribute → type of the entity that has it (ethnicity, courtesy name, dynasty and height
# describe people; a founder, organisations; a release date, films and shows).
ENTITY_TYPES: Dict[str, str] = {
    "民族": "PER",
    "字": "PER",
    "朝代": "PER",
    "身高": "PER",
    "创始人": "ORG",
    "上映时间": "WORK",
}
# attribute → what its value holds, for the literal normaliser (the rest are strings).
VALUE_KINDS: Dict[str, str] = {"身高": KIND_QUANTITY, "上映时间": KIND_DATE}


def read(split: str, root: Path) -> Tuple[List[Doc], ConversionReport]:
    """One Doc per distinct sentence of ``deepke_ae_zh/<split file>`` under ``root``."""
    path = source_file(root / "deepke_ae_zh" / FILES[split])
    report = ConversionReport(NAME, split, [str(path)])
    sentences: Dict[str, list] = {}
    for line, row in iter_csv(path, COLUMNS):
        if row["attribute"] not in ENTITY_TYPES:
            raise KgxInputError(path, f"unknown attribute {row['attribute']!r}", line=line)
        sentences.setdefault(row["sentence"], []).append((line, row))
    nlp = spacy.blank("zh")
    docs = []
    for index, (sentence, rows) in enumerate(sentences.items()):
        doc = nlp.make_doc(sentence)
        entities = EntitySet()
        records = []
        for line, row in rows:
            entity = find_span(path, line, sentence, row["entity"], row["entity_offset"],
                               "entity", report)
            value = entity and find_span(path, line, sentence, row["attribute_value"],
                                         row["attribute_value_offset"], "value", report)
            if value is None:  # counted once per row, by find_span
                continue
            entity, value = token_span(doc, *entity, report), token_span(doc, *value, report)
            if entity is None or value is None:
                report.dropped["rows.no_token"] += 1
                continue
            entities.add(entity, ENTITY_TYPES[row["attribute"]])
            records.append(
                attribute(entity, value, row["attribute"], row["attribute_value"], VALUE_KINDS.get(row["attribute"], KIND_STRING), "zh")
            )
        entities.apply(doc, report)
        doc._.set(ATTRIBUTES, unique(records, report, "attributes"))
        doc._.set(DOC_ID, f"{NAME}/{split}/{index}")
        report.count(doc)
        docs.append(doc)
    return docs, report
