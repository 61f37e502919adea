"""The KB: entities, labels, types, entity–entity triples and an alias index, as flat arrays.

Every array is saved as its own ``.npy`` file and memory-mapped read-only on load, so a
KB of millions of entities opens at once and costs only the pages a lookup touches.
Ids are positions: entity ``i`` is ``kb.entities[i]``, and the tables are sorted by IRI.
"""

import json
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Union

import numpy as np

from ..errors import KgxInputError
from ..io import atomic_write
from .arrays import load_array, save_array
from .index import AliasIndex
from .strings import StringTable

KB_VERSION = 1
META_FILE = "kb.json"
TABLES = ("entities", "relations", "types", "labels")  # StringTables
ARRAYS = ("triples", "type_indptr", "type_ids", "label_indptr")


class Candidate(NamedTuple):
    """An entity a mention may refer to, with the features a linker scores.

    entity: the entity id (row of the KB's arrays).
    iri: the entity's IRI.
    score: the ranking score in [0, 1]: trigram similarity of the normalised mention and
        the entity's best alias (1.0 when they are equal); ties go to the higher prior.
    alias: that alias (normalised text).
    exact: the mention equals one of the entity's labels verbatim.
    normalised: the normalised mention equals the alias.
    prior: P(entity | alias), the entity's share of the alias's weight.
    weight: the alias's weight for the entity (summed label-predicate weights).
    """

    entity: int
    iri: str
    score: float
    alias: str
    exact: bool
    normalised: bool
    prior: float
    weight: float


class KB:
    """A knowledge base read from RDF (see ``build_kb``).

    entities: entity IRIs, sorted; entity id = position. Also relations (predicate IRIs of
        ``triples``) and types (rdf:type object IRIs), each sorted, id = position.
    triples: entity–entity triples as (head, relation, tail) ids, sorted, distinct.
        shape: (n_triples, 3), int32
    type_indptr, type_ids: entity ``e``'s types are ``type_ids[type_indptr[e]:type_indptr[e + 1]]``.
        shape: (n_entities + 1,), int64 and (n_type_assertions,), int32
    label_indptr, labels: entity ``e``'s labels are ``labels[label_indptr[e]:label_indptr[e + 1]]``,
        most preferred first. shape: (n_entities + 1,), int64
    aliases: the alias index over the normalised labels.
    meta: how it was built (sources, label predicates, languages) and its counts.
    """

    def __init__(
        self,
        entities: StringTable,
        relations: StringTable,
        types: StringTable,
        triples: np.ndarray,
        type_indptr: np.ndarray,
        type_ids: np.ndarray,
        label_indptr: np.ndarray,
        labels: StringTable,
        aliases: AliasIndex,
        meta: Dict[str, Any],
    ):
        self.entities = entities
        self.relations = relations
        self.types = types
        self.triples = triples
        self.type_indptr = type_indptr
        self.type_ids = type_ids
        self.label_indptr = label_indptr
        self.labels = labels
        self.aliases = aliases
        self.meta = meta

    def __len__(self) -> int:
        return len(self.entities)

    @property
    def counts(self) -> Dict[str, int]:
        return {
            "entities": len(self.entities),
            "labels": len(self.labels),
            "aliases": len(self.aliases),
            "relations": len(self.relations),
            "triples": len(self.triples),
            "types": len(self.types),
            "type_assertions": len(self.type_ids),
        }

    def iri(self, entity: int) -> str:
        return self.entities[entity]

    def entity_id(self, iri: str) -> Optional[int]:
        """The id of an entity IRI, or None (a binary search, no dict)."""
        return self.entities.find(iri)

    def labels_of(self, entity: int) -> List[str]:
        """The entity's labels, most preferred first."""
        return [self.labels[i] for i in range(self.label_indptr[entity], self.label_indptr[entity + 1])]

    def label(self, entity: int) -> Optional[str]:
        """The entity's preferred label, or None."""
        start, end = self.label_indptr[entity], self.label_indptr[entity + 1]
        return self.labels[start] if end > start else None

    def type_ids_of(self, entity: int) -> np.ndarray:
        return self.type_ids[self.type_indptr[entity] : self.type_indptr[entity + 1]]

    def types_of(self, entity: int) -> List[str]:
        """The entity's rdf:type IRIs, sorted."""
        return [self.types[t] for t in self.type_ids_of(entity).tolist()]

    def candidates(self, mention: str, k: int = 10, fuzzy: bool = True) -> List[Candidate]:
        """The ``k`` best candidate entities for a mention's text, best first.

        fuzzy: also look for aliases by trigram similarity (typos, variants) when the
            normalised mention names fewer than ``k`` entities.
        """
        return [
            Candidate(
                entity=m.entity,
                iri=self.entities[m.entity],
                score=m.similarity,
                alias=self.aliases.alias(m.alias),
                exact=mention in self.labels_of(m.entity),
                normalised=m.normalised,
                prior=m.prior,
                weight=m.weight,
            )
            for m in self.aliases.search(mention, k, fuzzy=fuzzy)
        ]

    def to_disk(self, path: Union[str, Path]) -> None:
        """Write the KB folder: ``.npy`` arrays, then ``kb.json`` last (each file atomically)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            getattr(self, name).to_disk(path, name)
        for name in ARRAYS:
            save_array(path / f"{name}.npy", getattr(self, name))
        self.aliases.to_disk(path)
        meta = {**self.meta, "version": KB_VERSION, "counts": self.counts}
        with atomic_write(path / META_FILE, "w") as f:
            json.dump(meta, f, indent=2, ensure_ascii=False)

    @classmethod
    def from_disk(cls, path: Union[str, Path], mmap: bool = True) -> "KB":
        """Open a KB folder; arrays are memory-mapped read-only unless ``mmap`` is False."""
        path = Path(path)
        try:
            meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            problem = f"not a KB folder: no {META_FILE} (write one with `kgx kb build`)"
            raise KgxInputError(path, problem) from None
        except json.JSONDecodeError as err:
            raise KgxInputError(path / META_FILE, f"not valid JSON: {err.msg}", line=err.lineno) from None
        if meta.get("version") != KB_VERSION:
            problem = f"KB version {meta.get('version')!r}; this code reads {KB_VERSION}"
            raise KgxInputError(path / META_FILE, problem)
        kb = cls(
            **{name: StringTable.from_disk(path, name, mmap) for name in TABLES},
            **{name: load_array(path / f"{name}.npy", mmap) for name in ARRAYS},
            aliases=AliasIndex.from_disk(path, mmap),
            meta=meta,
        )
        if kb.counts != meta.get("counts"):
            problem = f"KB files do not match {META_FILE} (an interrupted write?): rebuild it"
            raise KgxInputError(path, problem)
        return kb
