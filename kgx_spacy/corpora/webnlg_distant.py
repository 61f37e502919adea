"""WebNLG v3.0 as distant supervision: each text labelled with the triples it verbalises.

The Docs are those of ``webnlg`` (one per ``<lex>``, same ids, same gold triples). Each
entry's triples become ``distant.Fact``s on DBpedia names: resources are entities
(``webnlg_links.entity_iri``, labelled by ``label_of``), literal objects
(``webnlg_links.is_literal``) are literals whose kind comes from their RDF literal
(``webnlg_links.literal``). ``distant.DistantLabeler`` aligns them and writes gold
``doc.ents`` (label ``ENT``, linked to the DBpedia IRI), ``kgx_relations`` (resource
objects) and ``kgx_attributes`` (literal objects), both named by the DBpedia predicate.
Converting train also writes ``kb.nt``, the DBpedia graph of the train triples.
"""

from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from spacy.tokens import Doc

from ..extensions import GOLD_TRIPLES
from ..literals import literal_kind
from ..supervision.align import Aligner
from ..supervision.distant import DistantLabeler, DistantReport, Fact
from . import webnlg, webnlg_links
from .webnlg_links import entity_iri, is_literal, label_of

NAME = "webnlg-distant"
SPLITS = webnlg.SPLITS
ENT_LABEL = webnlg_links.ENT_LABEL
KB_FILE = "kb.nt"


def facts(triples: Sequence[Sequence[str]]) -> Tuple[List[Fact], Dict[str, List[str]]]:
    """The facts of WebNLG triples and the labels of their entities (IRI → labels)."""
    found, labels = [], {}
    for subject, predicate, obj in triples:
        labels[entity_iri(subject)] = [label_of(subject)]
        if is_literal(obj):
            value = webnlg_links.literal(_unquoted(obj))  # "1983-10-03" in quotes is a date too
            datatype = value.datatype.value if value.datatype else None
            found.append(Fact(entity_iri(subject), predicate, obj, True, literal_kind(value.value, datatype)))
        else:
            labels[entity_iri(obj)] = [label_of(obj)]
            found.append(Fact(entity_iri(subject), predicate, entity_iri(obj)))
    return found, labels


def read(split: str, root: Path) -> Tuple[List[Doc], DistantReport]:
    """``webnlg.read``'s Docs of the split, labelled with their entry's triples."""
    docs, texts = webnlg.read(split, root)
    report = DistantReport(NAME, split, texts.sources, dropped=texts.dropped)
    labeler = DistantLabeler(ENT_LABEL, suffix_words=webnlg_links.SUFFIX_WORDS)
    triples: Optional[list] = None
    aligner: Optional[Aligner] = None
    for doc in docs:
        if doc._.get(GOLD_TRIPLES) != triples:  # the texts of an entry come one after another
            triples = doc._.get(GOLD_TRIPLES)
            entry_facts, labels = facts(triples)
            aligner = labeler.aligner(entry_facts, labels)
        labeler(doc, entry_facts, labels, report, aligner)
        report.count(doc)
    return docs, report


def write_extras(split: str, docs: List[Doc], output_dir: Path) -> None:
    """For train, ``kb.nt``: the DBpedia graph of the train triples, the source of the
    linker's KB and KGE (``kgx kb build``, ``kgx kge train``)."""
    if split == "train":
        webnlg_links.write_kb_rdf(docs, output_dir / KB_FILE)


def _unquoted(obj: str) -> str:
    obj = obj.strip()
    return obj[1:-1] if len(obj) >= 2 and obj[0] == obj[-1] == '"' else obj
