"""From text back to the graph: the facts extracted from documents, compared with your KG.

Each extracted fact (an asserted triple of ``kgx_rdf``'s output, its provenance read from
the reified statements) is grouped over the documents that state it and classed:

- ``confirmed``: the KG holds the very triple, literals compared by value (``value_key``:
  "560937000.0 (kilometres)" and "560,937,000 km" as extracted are one value);
- ``new_entity``: an end is a new entity (a mention the linker sent to NIL, whose IRI was
  minted, or any IRI the KG does not name);
- ``conflicting``: the predicate is functional in the KG (declared ``owl:FunctionalProperty``,
  or seen with one object per subject for every one of at least ``MIN_FUNCTIONAL_SUBJECTS``
  subjects) and the KG holds another object for this subject;
- ``new``: the rest: both ends are KG entities (or the object a literal), the triple is not
  in the KG and contradicts nothing.

New facts are ranked by a ``Ranking`` of their evidence: the extraction confidence (the
highest over the documents), how many documents state the fact, and the KGE's plausibility
of the triple (``kge.Plausibility.percentile``, for entity objects the KGE knows).
"""

import csv
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, Union

import numpy
import pyoxigraph as ox

from ..errors import KgxInputError
from ..io import atomic_write
from ..kb import normalise
from ..kb.build import read_quads
from ..kge import Plausibility
from ..literals import CDT_UCUM, LEADING_NUMBER, normalize_value

CONFIRMED, NEW, CONFLICTING, NEW_ENTITY = "confirmed", "new", "conflicting", "new_entity"
CLASSES = (NEW, CONFLICTING, CONFIRMED, NEW_ENTITY)
MIN_FUNCTIONAL_SUBJECTS = 5  # fewer subjects say nothing about a predicate being functional

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
OWL_FUNCTIONAL = "http://www.w3.org/2002/07/owl#FunctionalProperty"
KGX = "https://w3id.org/kgx-spacy/vocab#"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
NOT_FACTS = frozenset((RDF_TYPE, RDFS_LABEL, f"{KGX}nil"))  # what kgx_rdf says of entities

Term = Union[ox.NamedNode, ox.Literal]
Triple = Tuple[ox.NamedNode, ox.NamedNode, Term]

STATEMENTS = f"""
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX kgx: <{KGX}>
SELECT ?s ?p ?o ?doc ?confidence WHERE {{
  GRAPH ?g {{
    ?statement a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
               prov:wasDerivedFrom ?doc ; kgx:confidence ?confidence .
  }}
}}"""
NILS = f"SELECT DISTINCT ?e WHERE {{ GRAPH ?g {{ ?e <{KGX}nil> true }} }}"


@dataclass
class Fact:
    """An extracted fact and its evidence, after comparison.

    documents: the IRIs of the documents that state it, sorted.
    confidence: the highest extraction confidence over those documents.
    kind: one of CLASSES. kg_objects: for a conflict, the objects the KG holds instead.
    plausibility: the KGE's percentile of the triple; None where the KGE has no opinion.
    score: the ranking's score (new facts).
    """

    subject: ox.NamedNode
    predicate: ox.NamedNode
    object: Term
    documents: List[str] = field(default_factory=list)
    confidence: float = 0.0
    kind: str = NEW
    kg_objects: List[Term] = field(default_factory=list)
    plausibility: Optional[float] = None
    score: Optional[float] = None

    @property
    def triple(self) -> Triple:
        return self.subject, self.predicate, self.object

    def to_dict(self) -> dict:
        """IRIs as they are, literals in N-Triples syntax (``"1985"^^<…#gYear>``)."""
        return {
            "kind": self.kind, "subject": text(self.subject), "predicate": text(self.predicate),
            "object": text(self.object), "documents": self.documents, "confidence": self.confidence,
            "plausibility": self.plausibility, "score": self.score,
            "kg_objects": [text(o) for o in self.kg_objects],
        }


def text(term: Term) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)


class KnowledgeGraph:
    """The user's graph as the comparison needs it.

    triples: every statement (graph names ignored). entities: the IRIs it names (subjects,
    IRI objects). functional: its functional predicates (see the module docstring).
    labels: an ``rdfs:label`` of each entity that has one, to show people.
    """

    def __init__(self, triples: Iterable[Triple]):
        self.triples: Set[Triple] = set()
        self.keys: Set[tuple] = set()  # (subject, predicate, value_key(object))
        self.objects: Dict[Tuple[ox.NamedNode, ox.NamedNode], Set[Term]] = defaultdict(set)
        self.entities: Set[ox.NamedNode] = set()
        self.labels: Dict[ox.NamedNode, str] = {}
        declared = set()
        for s, p, o in triples:
            if not isinstance(s, ox.NamedNode):
                continue
            self.triples.add((s, p, o))
            self.keys.add((s, p, value_key(o)))
            self.entities.add(s)
            if isinstance(o, ox.NamedNode) and p.value != RDF_TYPE:
                self.entities.add(o)
            if p.value == RDF_TYPE and isinstance(o, ox.NamedNode) and o.value == OWL_FUNCTIONAL:
                declared.add(s)
            if p.value == RDFS_LABEL and isinstance(o, ox.Literal):
                self.labels.setdefault(s, o.value)
            if p.value not in NOT_FACTS:
                self.objects[(s, p)].add(o)
        subjects: Dict[ox.NamedNode, List[int]] = defaultdict(list)
        for (_, p), objects in self.objects.items():
            subjects[p].append(len(objects))
        counted = {p for p, n in subjects.items() if len(n) >= MIN_FUNCTIONAL_SUBJECTS and max(n) == 1}
        self.functional: Set[ox.NamedNode] = declared | counted

    def entity_triples(self) -> List[Tuple[str, str, str]]:
        """The entity–entity triples by IRI: what the KGE was trained on and its ranks filter."""
        return [(s.value, p.value, o.value) for s, p, o in self.triples if isinstance(o, ox.NamedNode)]

    @classmethod
    def from_files(cls, paths: Sequence[Path]) -> "KnowledgeGraph":
        return cls((q.subject, q.predicate, q.object) for path in paths for q in read_quads(path))


_UNIT_IN_BRACKETS = re.compile(r"\(([^()]*)\)\s*$")
_UNIT_WORDS = re.compile(r"^[\sA-Za-z.²³/]*$")  # what may follow a number that is a measure
_NUMBERS = {"http://www.w3.org/2001/XMLSchema#" + t for t in ("integer", "decimal", "double", "float", "int")}
_PLAIN = {"http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}


def value_key(term: Term):
    """What two objects must share to be the same: an IRI itself; a literal its value, read
    by the literal normaliser when the KG writes it as plain text ("January 2009" is
    2009-01). A number, with or without a unit after it, compares by the number alone:
    graphs and texts spell units many ways ("560937000.0 (kilometres)", "560,937,000 kms",
    "560937000 km" typed as UCUM), and a functional property keeps one unit. Other text
    compares without case, accents or punctuation."""
    if not isinstance(term, ox.Literal):
        return term
    datatype = term.datatype.value if term.datatype is not None else None
    lexical = term.value.strip().strip('"')
    if datatype in _PLAIN or datatype is None:
        value = normalize_value(_UNIT_IN_BRACKETS.sub(r"\1", lexical).strip())
        lexical, datatype = value.lexical, value.datatype
    if datatype in _NUMBERS or datatype == CDT_UCUM or datatype in _PLAIN:
        number = LEADING_NUMBER.match(lexical)
        if number and _UNIT_WORDS.match(lexical[number.end() :]):
            try:
                return "number", Decimal(number.group().replace(",", ""))
            except InvalidOperation:
                pass
    if datatype in _PLAIN:
        return "text", normalise(lexical)
    return datatype, lexical


# -- extracted facts ----------------------------------------------------------------------


def store_rows(store: ox.Store) -> Tuple[Iterator[dict], Set[ox.NamedNode]]:
    """The statement rows and the NIL entities of a pyoxigraph store."""
    nils = {row["e"] for row in store.query(NILS)}
    rows = ({name: row[name] for name in ("s", "p", "o", "doc", "confidence")} for row in store.query(STATEMENTS))
    return rows, nils


def open_source(source: Path) -> ox.Store:
    """An embedded store folder (read-only), or an RDF file loaded into memory."""
    if source.is_dir():
        return ox.Store.read_only(str(source))
    store = ox.Store()
    store.bulk_extend(read_quads(source))
    return store


def endpoint_rows(query: Callable[[str], bytes]) -> Tuple[Iterator[dict], Set[ox.NamedNode]]:
    """The statement rows and NIL entities of a SPARQL endpoint (``query`` returns the
    SPARQL JSON results of a query)."""
    nils = {row["e"] for row in _json_rows(query(NILS))}
    return _json_rows(query(STATEMENTS)), nils


def _json_rows(body: bytes) -> Iterator[dict]:
    for binding in json.loads(body)["results"]["bindings"]:
        yield {name: _json_term(value) for name, value in binding.items()}


def _json_term(value: dict) -> Term:
    if value["type"] == "uri":
        return ox.NamedNode(value["value"])
    if value["type"] == "bnode":
        return ox.BlankNode(value["value"])
    if "xml:lang" in value:
        return ox.Literal(value["value"], language=value["xml:lang"])
    datatype = value.get("datatype")
    return ox.Literal(value["value"], datatype=ox.NamedNode(datatype) if datatype else None)


def gather(rows: Iterable[dict], progress: Optional[Callable[[int], None]] = None) -> List[Fact]:
    """The distinct facts of statement rows, each with its documents and best confidence;
    what ``kgx_rdf`` says of entities (types, labels, NIL marks) is left out."""
    facts: Dict[Triple, Fact] = {}
    documents: Dict[Triple, Set[str]] = defaultdict(set)
    for i, row in enumerate(rows, 1):
        if row["p"].value in NOT_FACTS or not isinstance(row["s"], ox.NamedNode):
            continue
        triple = (row["s"], row["p"], row["o"])
        fact = facts.setdefault(triple, Fact(*triple))
        fact.confidence = max(fact.confidence, float(row["confidence"].value))
        documents[triple].add(row["doc"].value)
        if progress is not None and i % 10_000 == 0:
            progress(i)
    for triple, fact in facts.items():
        fact.documents = sorted(documents[triple])
    return list(facts.values())


# -- comparison and ranking ---------------------------------------------------------------


def classify(facts: Iterable[Fact], kg: KnowledgeGraph, nils: Set[ox.NamedNode]) -> None:
    """Set each fact's ``kind`` (and a conflict's ``kg_objects``)."""
    for fact in facts:
        ends = [fact.subject] + ([fact.object] if isinstance(fact.object, ox.NamedNode) else [])
        held = kg.objects.get((fact.subject, fact.predicate), ())
        if (fact.subject, fact.predicate, value_key(fact.object)) in kg.keys:
            fact.kind = CONFIRMED
        elif any(end in nils or end not in kg.entities for end in ends):
            fact.kind = NEW_ENTITY
        elif fact.predicate in kg.functional and held:
            fact.kind = CONFLICTING
            fact.kg_objects = sorted(held, key=str)
        else:
            fact.kind = NEW


def add_plausibility(facts: Sequence[Fact], plausibility: Plausibility) -> None:
    """The KGE's percentile of each fact with an entity object (None where it has no opinion)."""
    scored = [f for f in facts if isinstance(f.object, ox.NamedNode)]
    values = plausibility.percentile([(f.subject.value, f.predicate.value, f.object.value) for f in scored])
    for fact, value in zip(scored, values):
        fact.plausibility = None if math.isnan(value) else float(value)


FEATURES = ("confidence", "log_documents", "plausibility", "has_plausibility", "bias")
# The ranking bench/kg_feedback.py learns on WebNLG dev: kgx compare's default when present.
DEFAULT_RANKING = Path(__file__).with_name("ranking.json")


def features(facts: Sequence[Fact]) -> numpy.ndarray:
    """The ranking's inputs, shape (n, len(FEATURES)); a fact without plausibility gets 0.5
    and has_plausibility 0."""
    rows = [
        (f.confidence, math.log(len(f.documents)) if f.documents else 0.0,
         0.5 if f.plausibility is None else f.plausibility, float(f.plausibility is not None), 1.0)
        for f in facts
    ]
    return numpy.array(rows, dtype="float64").reshape(-1, len(FEATURES))


@dataclass
class Ranking:
    """A logistic score of a fact's evidence: σ(w · features). ``source``: where the weights
    were learned (a file, a benchmark); the default ranks by extraction confidence alone."""

    weights: Tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 0.0)
    source: str = "extraction confidence alone"

    def score(self, facts: Sequence[Fact]) -> numpy.ndarray:
        return 1.0 / (1.0 + numpy.exp(-features(facts) @ numpy.array(self.weights)))

    def to_disk(self, path: Path) -> None:
        with atomic_write(path, "w") as f:
            json.dump({"features": FEATURES, "weights": list(self.weights), "source": self.source}, f, indent=2)

    @classmethod
    def default(cls) -> "Ranking":
        """The ranking learned by bench/kg_feedback.py, or extraction confidence alone."""
        return cls.from_disk(DEFAULT_RANKING) if DEFAULT_RANKING.exists() else cls()

    @classmethod
    def from_disk(cls, path: Path) -> "Ranking":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise KgxInputError(path, f"not a ranking file: {err}") from None
        if tuple(data.get("features", ())) != FEATURES:
            raise KgxInputError(path, f"a ranking of other features than {', '.join(FEATURES)}")
        return cls(tuple(float(w) for w in data["weights"]), data.get("source", str(path)))


def fit_ranking(facts: Sequence[Fact], labels: Sequence[bool], l2: float = 1.0, source: str = "") -> Ranking:
    """Logistic regression of ``labels`` (whether each fact is true) on the facts' features,
    by Newton's method with an L2 penalty (the bias not penalised)."""
    x, y = features(facts), numpy.asarray(labels, dtype="float64")
    w = numpy.zeros(x.shape[1])
    penalty = numpy.full(x.shape[1], l2)
    penalty[FEATURES.index("bias")] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + numpy.exp(-x @ w))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + numpy.diag(penalty) + 1e-9 * numpy.eye(len(w))
        step = numpy.linalg.solve(hessian, gradient)
        w -= step
        if numpy.abs(step).max() < 1e-8:
            break
    return Ranking(tuple(float(v) for v in w), source or f"fitted on {len(y)} facts")


def rank(facts: Sequence[Fact], ranking: Ranking) -> List[Fact]:
    """Every fact with its ``score`` set; new facts, best first, then the others by class."""
    scores = ranking.score(facts) if facts else []
    for fact, score in zip(facts, scores):
        fact.score = float(score)
    order = {kind: i for i, kind in enumerate(CLASSES)}
    return sorted(facts, key=lambda f: (order[f.kind], -f.score, str(f.subject), str(f.predicate), str(f.object)))


def compare(
    rows: Iterable[dict],
    nils: Set[ox.NamedNode],
    kg: KnowledgeGraph,
    plausibility: Optional[Plausibility] = None,
    ranking: Ranking = Ranking(),
    progress: Optional[Callable[[int], None]] = None,
) -> List[Fact]:
    """The extracted facts of ``rows``, classed against ``kg`` and ranked."""
    facts = gather(rows, progress)
    classify(facts, kg, nils)
    if plausibility is not None:
        add_plausibility(facts, plausibility)
    return rank(facts, ranking)


# -- output -------------------------------------------------------------------------------


def class_graph(base: str, kind: str) -> ox.NamedNode:
    """The named graph of one class of facts."""
    return ox.NamedNode(f"{base.rstrip('/#')}/{kind}")


def fact_quads(facts: Iterable[Fact], base: str) -> Iterator[ox.Quad]:
    """Each fact asserted in its class's named graph, with a statement node carrying its
    evidence: every document (``prov:wasDerivedFrom``), the best confidence, the number of
    documents, the KGE plausibility and the ranking score, and a conflict's KG objects."""
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    for i, fact in enumerate(facts):
        g = class_graph(base, fact.kind)
        node = ox.NamedNode(f"{g.value}#f{i}")
        yield ox.Quad(*fact.triple, g)
        yield ox.Quad(node, ox.NamedNode(rdf + "type"), ox.NamedNode(rdf + "Statement"), g)
        for name, term in (("subject", fact.subject), ("predicate", fact.predicate), ("object", fact.object)):
            yield ox.Quad(node, ox.NamedNode(rdf + name), term, g)
        for doc in fact.documents:
            yield ox.Quad(node, ox.NamedNode(PROV_DERIVED), ox.NamedNode(doc), g)
        numbers = [("confidence", fact.confidence, "double"), ("documentCount", len(fact.documents), "integer"),
                   ("plausibility", fact.plausibility, "double"), ("rankScore", fact.score, "double")]
        for name, value, datatype in numbers:
            if value is not None:
                yield ox.Quad(node, ox.NamedNode(KGX + name), ox.Literal(str(value), datatype=ox.NamedNode(xsd + datatype)), g)
        for other in fact.kg_objects:
            yield ox.Quad(node, ox.NamedNode(KGX + "conflictsWith"), other, g)


def write_facts(facts: Sequence[Fact], path: Path, fmt: str, base: str) -> None:
    """``facts`` to ``path``, whole or not at all: RDF (trig, nq), JSON lines or CSV."""
    if fmt in ("trig", "nq"):
        store = ox.Store()
        store.bulk_extend(fact_quads(facts, base))
        with atomic_write(path, "wb") as f:
            store.dump(f, format=ox.RdfFormat.TRIG if fmt == "trig" else ox.RdfFormat.N_QUADS)
    elif fmt == "json":
        with atomic_write(path, "w") as f:
            f.writelines(json.dumps(fact.to_dict(), ensure_ascii=False) + "\n" for fact in facts)
    elif fmt == "csv":
        with atomic_write(path, "w") as f:
            writer = csv.writer(f)
            writer.writerow(["kind", "subject", "predicate", "object", "documents", "confidence", "plausibility", "score", "kg_objects"])
            for fact in facts:
                d = fact.to_dict()
                writer.writerow([d["kind"], d["subject"], d["predicate"], d["object"], len(fact.documents),
                                 d["confidence"], d["plausibility"], d["score"], " ".join(d["kg_objects"])])
    else:
        raise KgxInputError(path, f"unknown format {fmt!r}: trig, nq, json or csv")
