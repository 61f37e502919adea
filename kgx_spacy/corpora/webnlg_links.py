"""WebNLG v3.0 with entity links: its texts, with each entry's DBpedia resources aligned.

The Docs are those of ``webnlg`` (one per ``<lex>``, same ids, same gold triples). The
resources of an entry (its triples' subjects and non-literal objects) are aligned to
each text with ``kgx_spacy.linking.Aligner``; each mention found is a ``doc.ents`` span
labelled ``ENT`` (WebNLG has no entity types) with ``kb_id_`` its DBpedia IRI, and a
gold ``doc._.kgx_links`` record (``nil`` False: whether the IRI is in a KB is for the
linker to find out). ``write_kb_rdf`` writes the DBpedia graph of the train triples, the
source of the linker's KB (``kgx kb build``).
"""

import datetime
import re
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import pyoxigraph as ox
from rdflib import RDFS, XSD
from spacy.tokens import Doc

from ..extensions import GOLD_TRIPLES
from ..io import atomic_write
from ..literals import parse_number
from ..supervision.align import SUFFIX_WORDS as ALIGN_SUFFIX_WORDS, Aligner, EntityLabels, label_variants
from ..supervision.records import ConversionReport, EntitySet
from . import webnlg

NAME = "webnlg-links"
SPLITS = webnlg.SPLITS
ENT_LABEL = "ENT"
DBR = "http://dbpedia.org/resource/"
DBO = "http://dbpedia.org/ontology/"
RDFS_LABEL = ox.NamedNode(str(RDFS.label))
SKOS_ALT_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
# ASCII characters a DBpedia resource name keeps as they are (RFC 3987 path characters
# but "%"); other ASCII characters are percent-encoded, non-ASCII letters are kept.
IRI_SAFE = "!$&'()*+,-./:;=@_~"
SUFFIX_WORDS = ALIGN_SUFFIX_WORDS + ("music", "cuisine")

_NUMBER = r"[-−+]?\d[\d,.]*"
_LITERAL = re.compile(
    rf"{_NUMBER}(?:\s.*)?"  # 1985, 35.1, −6, "8.3 m", "230 (cubic inches)", "657, 714"
    r"|\d{4}-\w{2,3}-\d{2}"  # 2009-12-18, 2011-Aug-27
    r"|\d[\d\-–]*[A-Za-z]?",  # codes: 2005-040A, 76131–76229
    re.DOTALL,
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_literal(obj: str) -> bool:
    """Whether a WebNLG triple's object is a literal rather than a DBpedia resource.

    Literals start with a quote (``"17R/35L"``, ``"52.0"(minutes)``), are IRIs in angle
    brackets (web sites), or are bare numbers, dates, quantities and codes (``1985``,
    ``−6``, ``2009-12-18``, ``8.3 m``). Resource names that start with a digit go on with
    ``_`` or letters, never a space (``2014–15_Topklasse``, ``1._FC_Köln``, ``3XN``).
    """
    obj = obj.strip()
    if obj.startswith('"') or (len(obj) >= 2 and (obj[0], obj[-1]) == ("<", ">")):
        return True
    return _LITERAL.fullmatch(obj) is not None


def entity_iri(name: str) -> str:
    """The DBpedia resource IRI of a WebNLG name: ``Aarhus_Airport`` → ``dbr:Aarhus_Airport``.

    Spaces become ``_``; ASCII characters outside IRI_SAFE (``?``, ``#``, ``%``, ``"``, …) are
    percent-encoded; non-ASCII characters are kept unless they are spaces or controls
    (``São_Paulo`` stays ``São_Paulo``, as in DBpedia's IRIs).
    """
    name = "_".join(name.split())
    return DBR + "".join(
        c if ord(c) > 127 and c.isprintable() else urllib.parse.quote(c, safe=IRI_SAFE)
        for c in name
    )


def predicate_iri(predicate: str) -> str:
    """The DBpedia ontology IRI of a WebNLG predicate (``/`` encoded: one path segment)."""
    return DBO + urllib.parse.quote(predicate.strip(), safe=IRI_SAFE.replace("/", ""))


def label_of(name: str) -> str:
    """The English label a resource name spells: ``Aarhus_Airport`` → ``Aarhus Airport``."""
    return " ".join(name.replace("_", " ").split())


def resources(triples: Iterable[Sequence[str]]) -> List[str]:
    """The resource names of triples, first seen first: subjects and non-literal objects."""
    names = {}
    for subject, _, obj in triples:
        names[subject] = None
        if not is_literal(obj):
            names[obj] = None
    return list(names)


def aligner(names: Iterable[str]) -> Aligner:
    """The aligner of resources named by WebNLG names (IRI ``entity_iri``, label
    ``label_of``), which also drops a last word "music" or "cuisine" ("Pop music" → "Pop")."""
    return Aligner(
        [EntityLabels(entity_iri(name), label_of(name)) for name in names],
        suffix_words=SUFFIX_WORDS,
    )


@dataclass
class LinkReport(ConversionReport):
    """A conversion report that also says how well the entities were aligned to the texts.

    resources: resource entities to align, summed over the texts.
    aligned: those aligned to a span of their text (coverage = aligned / resources).
    match_kinds: aligned entities by how they matched (exact, variant, fuzzy).
    """

    resources: int = 0
    aligned: int = 0
    match_kinds: Counter = field(default_factory=Counter)

    @property
    def coverage(self) -> float:
        return self.aligned / self.resources if self.resources else 0.0

    def to_dict(self) -> dict:
        data = super().to_dict()
        data["match_kinds"] = dict(sorted(self.match_kinds.items()))
        data["coverage"] = round(self.coverage, 4)
        return data

    def summary(self) -> str:
        return (
            f"{super().summary()}; aligned {self.aligned} of {self.resources} entities "
            f"({self.coverage:.1%})"
        )


def read(split: str, root: Path) -> Tuple[List[Doc], LinkReport]:
    """``webnlg.read``'s Docs of the split, with their entities aligned and linked."""
    docs, texts = webnlg.read(split, root)
    report = LinkReport(NAME, split, texts.sources, dropped=texts.dropped)
    names: Optional[List[str]] = None
    align: Optional[Aligner] = None
    for doc in docs:
        entry = resources(doc._.get(GOLD_TRIPLES))
        if entry != names:  # the texts of an entry come one after another
            names, align = entry, aligner(entry)
        found = align(doc)
        spans = EntitySet()
        for mention in found:
            spans.add((mention.start, mention.end), ENT_LABEL, mention.iri)
        spans.apply(doc, report)
        report.count(doc)
        report.resources += len(names)
        report.aligned += len(found)
        report.match_kinds.update(mention.kind for mention in found)
    return docs, report


def literal(obj: str) -> ox.Literal:
    """The RDF literal of a literal object as written.

    Quoted text → a plain string (the quotes dropped when they enclose it all, so
    ``"52.0"(minutes)`` stays as written); ``<IRI>`` → xsd:anyURI; a number →
    xsd:integer or xsd:decimal (``−6`` → ``-6``); an ISO date → xsd:date; anything else
    (quantities, codes) → a plain string as written.
    """
    obj = obj.strip()
    if len(obj) >= 2 and obj[0] == obj[-1] == '"':
        return ox.Literal(obj[1:-1])
    if len(obj) >= 2 and (obj[0], obj[-1]) == ("<", ">"):
        return ox.Literal(obj[1:-1], datatype=ox.NamedNode(str(XSD.anyURI)))
    number = parse_number(obj.replace("−", "-"))
    if number is not None:
        datatype = XSD.decimal if "." in number else XSD.integer
        return ox.Literal(number, datatype=ox.NamedNode(str(datatype)))
    if _ISO_DATE.fullmatch(obj) and _valid_date(obj):
        return ox.Literal(obj, datatype=ox.NamedNode(str(XSD.date)))
    return ox.Literal(obj)


def _valid_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def kb_triples(items: Iterable[Union[Doc, Sequence[str]]]) -> List[ox.Triple]:
    """The DBpedia graph of WebNLG triples, sorted, each statement once.

    items: Docs (their gold triples) or ``[subject, predicate, object]`` triples.
    Resource objects are ``dbr:`` IRIs, literal ones RDF literals (see ``literal``); the
    predicates are ``dbo:`` IRIs; every resource has an English ``rdfs:label`` from its name
    and ``skos:altLabel`` for its shorter forms (see ``_labels``).
    """
    graph = set()
    for item in items:
        triples = item._.get(GOLD_TRIPLES) if isinstance(item, Doc) else [item]
        for subject, predicate, obj in triples:
            if is_literal(obj):
                value = literal(obj)
            else:
                value = ox.NamedNode(entity_iri(obj))
                graph.update(_labels(value, obj))
            node = ox.NamedNode(entity_iri(subject))
            graph.update(_labels(node, subject))
            graph.add(ox.Triple(node, ox.NamedNode(predicate_iri(predicate)), value))
    return sorted(graph, key=str)


def _labels(node: ox.NamedNode, name: str) -> List[ox.Triple]:
    """rdfs:label from the name, and skos:altLabel for each shorter name it implies
    (``label_variants``: "Anaheim, California" → "Anaheim"), as DBpedia's redirects would."""
    label = label_of(name)
    triples = [ox.Triple(node, RDFS_LABEL, ox.Literal(label, language="en"))]
    for variant in label_variants(label, SUFFIX_WORDS):
        triples.append(ox.Triple(node, SKOS_ALT_LABEL, ox.Literal(variant, language="en")))
    return triples


def write_kb_rdf(items: Iterable[Union[Doc, Sequence[str]]], path: Union[str, Path]) -> int:
    """Write ``kb_triples(items)`` as N-Triples to ``path``, atomically.

    items: the WebNLG train Docs (or their triples) for the linker's KB.
    RETURNS: the number of statements written.
    """
    triples = kb_triples(items)
    with atomic_write(path) as f:
        ox.serialize(triples, f, ox.RdfFormat.N_TRIPLES)
    return len(triples)
