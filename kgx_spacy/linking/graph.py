"""What the linker knows about the KG: the KB, its KGE model, and the vectors it derives.

``LinkingGraph`` puts the KB (entities, aliases, types) and a KGE model trained on the
same graph side by side: KB entity ids map to KGE rows, and pairs of KB entities get a
plausibility score from the KGE (the best relation, either direction), standardised so
that random entity pairs score about N(0, 1).
"""

import json
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy
import torch

from ..errors import KgxInputError
from ..io import atomic_write, read_text
from ..kb import KB, Candidate
from ..kge import KGEModel

META_FILE = "linking_graph.json"
TEXT_VECTORS_FILE = "text_vectors.npy"
# Mention texts whose candidates are kept (an LRU cache; about 3 kB each).
CANDIDATE_CACHE_SIZE = 10_000


class LinkingGraph:
    """The KB, optionally its KGE model, and the label vectors of its entities.

    kb: the KB the linker's candidates come from.
    kge: a KGE model whose entity labels are KB IRIs (trained on the KB's graph), or None.
    text_vectors: per KB entity, the unit encoder vector of its preferred label, shape
        (n_entities, d_t); or None.
    plausibility_stats: mean and standard deviation of the raw plausibility of random
        entity pairs (set by ``fit_plausibility``).
    """

    def __init__(
        self,
        kb: KB,
        kge: Optional[KGEModel] = None,
        text_vectors: Optional[numpy.ndarray] = None,
        plausibility_stats=(0.0, 1.0),
    ):
        self.kb = kb
        self.kge = kge
        self.text_vectors = text_vectors
        self.plausibility_stats = tuple(plausibility_stats)
        self.candidates = lru_cache(maxsize=CANDIDATE_CACHE_SIZE)(self._candidates)
        self.kge_rows = numpy.full(len(kb), -1, dtype="int64")
        self.kge_vectors = numpy.zeros((len(kb), 0), dtype="float32")
        if kge is not None:
            for i, iri in enumerate(kge.factory.entities):
                entity = kb.entity_id(iri)
                if entity is not None:
                    self.kge_rows[entity] = i
            weights = kge.entity_embeddings.detach().numpy()
            found = self.kge_rows >= 0
            if not len(kge.factory.entities):
                raise KgxInputError(Path("."), "the KGE model embeds no entity (its graph has no entity-entity "
                                    "triples): link without it, use_kge = false")
            if not found.any():
                raise KgxInputError(Path("."), "the KGE model shares no entity IRI with the KB: was it trained on the KB's graph?")
            self.kge_vectors = numpy.zeros((len(kb), weights.shape[1]), dtype="float32")
            self.kge_vectors[found] = _unit(weights[self.kge_rows[found]])

    @cached_property
    def share_without_kge(self) -> float:
        """The share of KB entities without a KGE vector (0 without a KGE model)."""
        return float((self.kge_rows < 0).mean()) if self.kge is not None and len(self.kb) else 0.0

    @cached_property
    def degrees(self) -> numpy.ndarray:
        """Per KB entity, the number of KB triples it is the head or tail of: the triples
        that trained its KGE vector. shape (n_entities,), int64."""
        ends = numpy.asarray(self.kb.triples)[:, [0, 2]].ravel()
        return numpy.bincount(ends, minlength=len(self.kb)).astype("int64")

    @property
    def kge_width(self) -> int:
        return self.kge_vectors.shape[1]

    @property
    def text_width(self) -> int:
        return 0 if self.text_vectors is None else self.text_vectors.shape[1]

    def _candidates(self, text: str, k: int, fuzzy: bool) -> Tuple[Candidate, ...]:
        """``kb.candidates``, as a tuple; ``candidates`` is this behind an LRU cache keyed
        by the mention's text (the search normalises it; ``Candidate.exact`` does not)."""
        return tuple(self.kb.candidates(text, k, fuzzy=fuzzy))

    def raw_plausibility(self, heads: numpy.ndarray, tails: numpy.ndarray) -> numpy.ndarray:
        """max over relations r and both directions of the KGE score of (h, r, t) / (t, r, h).

        heads, tails: KB entity ids, shape (n,). RETURNS: shape (n,); NaN where either
        entity has no KGE vector.
        """
        out = numpy.full(len(heads), numpy.nan, dtype="float32")
        if self.kge is None or not len(heads):
            return out
        h_rows, t_rows = self.kge_rows[heads], self.kge_rows[tails]
        known = numpy.flatnonzero((h_rows >= 0) & (t_rows >= 0))
        if len(known):
            with torch.no_grad():
                best = self.kge.best_relation_scores(torch.from_numpy(h_rows[known]), torch.from_numpy(t_rows[known]))
            out[known] = best.numpy()
        return out

    def plausibility(self, heads: numpy.ndarray, tails: numpy.ndarray, floor: float = -3.0) -> numpy.ndarray:
        """``raw_plausibility`` standardised by the random-pair statistics and clipped to
        [floor, 6] (floor ≥ -3); 0 where unknown. Symmetric: each unordered pair is scored
        once. shape (n,)."""
        mean, std = self.plausibility_stats
        ordered = numpy.stack([numpy.minimum(heads, tails), numpy.maximum(heads, tails)], 1).reshape(-1, 2)
        pairs, inverse = numpy.unique(ordered, axis=0, return_inverse=True)
        z = (self.raw_plausibility(pairs[:, 0], pairs[:, 1])[inverse.reshape(-1)] - mean) / std
        return numpy.clip(numpy.nan_to_num(z, nan=0.0), max(floor, -3.0), 6.0).astype("float32")

    def fit_plausibility(self, n_pairs: int = 2000, seed: int = 0) -> None:
        """Set ``plausibility_stats`` from random pairs of entities that have KGE vectors."""
        with_vectors = numpy.flatnonzero(self.kge_rows >= 0)
        if self.kge is None or len(with_vectors) < 2:
            return
        rng = numpy.random.default_rng(seed)
        heads, tails = rng.choice(with_vectors, size=(2, n_pairs))
        raw = self.raw_plausibility(heads, tails)
        self.plausibility_stats = (float(raw.mean()), float(raw.std()) or 1.0)

    def to_disk(self, path: Union[str, Path]) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.kb.to_disk(path / "kb")
        if self.kge is not None:
            self.kge.to_disk(path / "kge")
        if self.text_vectors is not None:
            with atomic_write(path / TEXT_VECTORS_FILE) as f:
                numpy.save(f, self.text_vectors)
        meta = {
            "kge": self.kge is not None,
            "text_vectors": self.text_vectors is not None,
            "plausibility_stats": list(self.plausibility_stats),
        }
        with atomic_write(path / META_FILE, "w") as f:
            json.dump(meta, f)

    @classmethod
    def from_disk(cls, path: Union[str, Path]) -> "LinkingGraph":
        path = Path(path)
        if not (path / META_FILE).is_file():
            raise KgxInputError(path, f"not a saved linking graph (no {META_FILE})")
        meta = json.loads(read_text(path / META_FILE))
        return cls(
            KB.from_disk(path / "kb"),
            KGEModel.from_disk(path / "kge") if meta["kge"] else None,
            numpy.load(path / TEXT_VECTORS_FILE) if meta["text_vectors"] else None,
            meta["plausibility_stats"],
        )


def _unit(x: numpy.ndarray) -> numpy.ndarray:
    norms = numpy.linalg.norm(x, axis=1, keepdims=True)
    return (x / numpy.maximum(norms, 1e-12)).astype("float32")
