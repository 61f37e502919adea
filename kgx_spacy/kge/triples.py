"""Triples of labels from TSV or RDF files, and the label ↔ id maps a KGE model uses."""

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from ..errors import KgxInputError
from ..io import read_text

Triple = Tuple[str, str, str]
TSV_SUFFIXES = (".tsv", ".txt")
QUAD_FORMATS = ("nquads", "trig", "trix")


@dataclass
class LabelledTriples:
    """(head, relation, tail) labels from one source, and where each one came from.

    source: the file (or a name for in-memory triples), for error messages.
    lines: 1-based line of each triple when the source has lines (TSV).
    """

    source: str
    triples: List[Triple]
    lines: Optional[List[int]] = None

    def __iter__(self) -> Iterator[Triple]:
        return iter(self.triples)

    def __len__(self) -> int:
        return len(self.triples)


def read_triples(path: Union[str, Path]) -> LabelledTriples:
    """Read ``head\\trelation\\ttail`` lines (.tsv, .txt; LF or CRLF) or any RDF file rdflib
    parses, chosen by extension. From RDF, triples whose object is a literal are left out:
    they link no two entities.
    """
    path = Path(path)
    if not path.is_file():
        raise KgxInputError(path, "no such file")
    if path.suffix.lower() in TSV_SUFFIXES:
        return _read_tsv(path)
    return _read_rdf(path)


def _read_tsv(path: Path) -> LabelledTriples:
    triples, lines = [], []
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not all(field.strip() for field in fields):
            raise KgxInputError(
                path,
                f"expected 3 non-empty tab-separated fields (head, relation, tail), found {line!r}",
                line=number,
            )
        triples.append(tuple(field.strip() for field in fields))
        lines.append(number)
    return LabelledTriples(str(path), triples, lines)


def _read_rdf(path: Path) -> LabelledTriples:
    from rdflib import Dataset, Graph
    from rdflib.util import guess_format

    fmt = guess_format(str(path))
    if fmt is None:
        raise KgxInputError(
            path,
            f"unknown triples format {path.suffix!r}: use .tsv/.txt or an RDF extension "
            "(.ttl, .nt, .nq, .trig, .jsonld, .rdf, ...)",
        )
    # Quad formats need a Dataset (a Graph silently drops named graphs); its union view gives
    # the triples of every graph.
    graph = Dataset(default_union=True) if fmt in QUAD_FORMATS else Graph()
    with warnings.catch_warnings():
        # rdflib 7.6 itself calls its deprecated Dataset.default_context in parse and triples
        warnings.filterwarnings("ignore", "Dataset.default_context", DeprecationWarning)
        try:
            graph.parse(str(path), format=fmt)
        except Exception as err:  # rdflib's parsers raise many types; all mean bad input here
            raise KgxInputError(path, f"not parseable as {fmt}: {err}") from None
        return LabelledTriples(str(path), rdf_triples(graph.triples((None, None, None))))


def rdf_triples(triples: Iterable[tuple]) -> List[Triple]:
    """Entity–entity triples of an rdflib graph as sorted label triples (IRIs as strings,
    blank nodes as ``_:id``); triples with a literal object are left out.
    """
    from rdflib import BNode, Literal

    def label(term) -> str:
        return f"_:{term}" if isinstance(term, BNode) else str(term)

    return sorted({(label(s), label(p), label(o)) for s, p, o in triples if not isinstance(o, Literal)})


class TriplesFactory:
    """Entity and relation labels and their ids (a label's id is its position).

    entities, relations: the labels, in id order.
    """

    def __init__(self, entities: Sequence[str], relations: Sequence[str]):
        self.entities = list(entities)
        self.relations = list(relations)
        self.entity_to_id: Dict[str, int] = {label: i for i, label in enumerate(self.entities)}
        self.relation_to_id: Dict[str, int] = {label: i for i, label in enumerate(self.relations)}

    @classmethod
    def from_triples(cls, *sources: Iterable[Sequence]) -> "TriplesFactory":
        """Every label in ``sources`` (iterables of (head, relation, tail); items are turned
        into strings), sorted, so the ids do not depend on the order of the input.
        """
        entities, relations = set(), set()
        for triples in sources:
            for h, r, t in triples:
                entities.update((str(h), str(t)))
                relations.add(str(r))
        return cls(sorted(entities), sorted(relations))

    def map(self, triples: Union[LabelledTriples, Iterable[Sequence]], source: str = "triples") -> Tensor:
        """Label triples → ids. shape: (m, 3). An unknown label raises with its line (or number)."""
        lines = None
        if isinstance(triples, LabelledTriples):
            source, lines = triples.source, triples.lines
        ids = []
        for i, (h, r, t) in enumerate(triples):
            try:
                ids.append((self.entity_to_id[str(h)], self.relation_to_id[str(r)], self.entity_to_id[str(t)]))
            except KeyError:
                kind, label = self._unknown(str(h), str(r), str(t))
                raise KgxInputError(
                    source,
                    f"unknown {kind} {label!r} (not among the model's {len(self._labels(kind))} {kind}s)",
                    line=lines[i] if lines else None,
                    where=None if lines else f"triple {i + 1}",
                ) from None
        return torch.tensor(ids, dtype=torch.long).reshape(-1, 3)

    def _unknown(self, h: str, r: str, t: str) -> Tuple[str, str]:
        if h not in self.entity_to_id:
            return "entity", h
        if r not in self.relation_to_id:
            return "relation", r
        return "entity", t

    def _labels(self, kind: str) -> List[str]:
        return self.entities if kind == "entity" else self.relations
