"""WebNLG v3.0 (English): one Doc per lexicalisation, its entry's triples as gold triples.

Gold triples are the modified triple set, ``[subject, predicate, object]`` exactly as
written (DBpedia names with ``_``, literals as given). Entities are not aligned to the text.
"""

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import List, Tuple
from xml.parsers.expat import ErrorString

import spacy
from spacy.tokens import Doc

from ..errors import KgxInputError
from ..extensions import DOC_ID, GOLD_TRIPLES
from ..io import read_text
from ..supervision.records import ConversionReport
from .common import source_file

NAME = "webnlg"
SPLITS = ("train", "dev", "test")
FOLDER = "webnlg_2020_v3.0_en"
TEST_FILE = "test/semantic-parsing-test-data-with-refs-en.xml"


def read(split: str, root: Path) -> Tuple[List[Doc], ConversionReport]:
    """One Doc per ``<lex>`` of the split under the data folder ``root``.

    Doc ids are ``webnlg/test/<eid>/<lid>`` for the text-to-RDF test file and
    ``webnlg/<split>/<size>triples/<category>/<eid>/<lid>`` for train/dev, whose eids
    restart in every file.
    """
    folder = root / FOLDER
    if split == "test":
        paths = [source_file(folder / TEST_FILE)]
    else:
        paths = sorted((folder / split).glob("*triples/*.xml"))
        if not paths:
            raise KgxInputError(
                folder / split, "no <n>triples/*.xml files (set KGX_DATA or --data-dir)"
            )
    report = ConversionReport(NAME, split, [str(p) for p in paths])
    nlp = spacy.blank("en")
    docs = []
    for path in paths:
        for entry in _entries(path):
            eid, triples = _entry(path, entry)
            prefix = f"{NAME}/{split}/" + (
                "" if split == "test" else f"{entry.get('size')}triples/{entry.get('category')}/"
            )
            for number, lex in enumerate(entry.iter("lex"), start=1):
                text = (lex.text or "").strip()
                if not text:
                    report.dropped["lex.empty"] += 1
                    continue
                doc = nlp.make_doc(text)
                doc._.set(DOC_ID, f"{prefix}{eid}/{lex.get('lid') or number}")
                doc._.set(GOLD_TRIPLES, triples)
                report.count(doc)
                docs.append(doc)
    return docs, report


def _entries(path: Path) -> List[ET.Element]:
    try:
        root = ET.fromstring(read_text(path))
    except ET.ParseError as err:
        line, column = err.position
        raise KgxInputError(
            path, f"malformed XML: {ErrorString(err.code)}", line=line, where=f"column {column + 1}"
        ) from None
    return root.findall("entries/entry")


def _entry(path: Path, entry: ET.Element) -> Tuple[str, List[List[str]]]:
    eid = entry.get("eid")
    if not eid:
        raise KgxInputError(path, "an <entry> has no eid")
    where = f"entry {eid}"
    triple_set = entry.find("modifiedtripleset")
    if triple_set is None:
        raise KgxInputError(path, "no <modifiedtripleset>", where=where)
    triples = []
    for mtriple in triple_set.iter("mtriple"):
        parts = (mtriple.text or "").split(" | ")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise KgxInputError(
                path, f"triple {mtriple.text!r} is not 'subject | predicate | object'", where=where
            )
        triples.append([p.strip() for p in parts])
    return eid, triples
