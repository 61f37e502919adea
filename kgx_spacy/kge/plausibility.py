"""How plausible the KG's embeddings find a triple given by IRIs: the one interface other
components (relation scoring, the KG-feedback comparison) use to ask the KGE.

A triple's plausibility is read two ways:

- ``score``: the model's raw score of (h, r, t), higher is more plausible; comparable only
  between triples of one model;
- ``standardised``: the score as a z-score against the same relation's scores of random
  (h, t) entity pairs: 0 is what a random pair gets, comparable across relations, and as
  cheap as ``score`` (no pass over every entity);
- ``rank``: where the object ranks among every entity as the tail of (h, r, ?), ties
  counting half (1 = the most plausible object); with ``known`` triples filtered out, as in
  filtered link prediction, so that the other true objects of (h, r) do not push it down;
  ``percentile`` = 1 - (rank - 1) / (n - 1), in [0, 1], comparable across relations and models.

A triple with an entity or relation the model does not know gets NaN: the KGE has no
opinion on it (a new entity has no vector).
"""

from pathlib import Path
from typing import Iterable, Optional, Sequence, Tuple, Union

import numpy
import torch

from .evaluation import KnownTriples, realistic_ranks
from .model import KGEModel

Triple = Tuple[str, str, str]


class Plausibility:
    """The KGE's view of triples by IRI.

    model: a trained KGEModel whose labels are IRIs (``kgx kge train`` on an RDF graph).
    known: triples (IRIs) to filter out of ``rank`` besides the one ranked (usually the
        graph the model was trained on); triples with unknown labels are skipped.
    random_pairs, seed: the random (h, t) pairs per relation that ``standardised`` measures
        against, and their seed.
    """

    def __init__(self, model: KGEModel, known: Iterable[Triple] = (), random_pairs: int = 256, seed: int = 0):
        self.model = model.eval()
        self.factory = model.factory
        ids = self._ids(list(known))
        rows = ids[~numpy.isnan(ids).any(1)].astype("int64")
        self.known = KnownTriples(torch.from_numpy(rows).reshape(-1, 3))
        self._random_pairs, self._seed = random_pairs, seed
        self._relation_stats: Optional[Tuple[numpy.ndarray, numpy.ndarray]] = None

    @classmethod
    def from_disk(cls, path: Union[str, Path], known: Iterable[Triple] = ()) -> "Plausibility":
        return cls(KGEModel.from_disk(path), known)

    def knows(self, iri: str) -> bool:
        """Whether the model has a vector for this entity IRI."""
        return iri in self.factory.entity_to_id

    @torch.no_grad()
    def score(self, triples: Sequence[Triple]) -> numpy.ndarray:
        """The raw score of each triple; NaN where a label is unknown. shape (m,)."""
        ids, found = self._found(triples)
        out = numpy.full(len(triples), numpy.nan, dtype="float64")
        if found.any():
            rows = torch.from_numpy(ids[found].astype("int64"))
            out[found] = self.model.score_hrt(rows).double().numpy()
        return out

    def standardised(self, triples: Sequence[Triple]) -> numpy.ndarray:
        """``score`` minus the mean, over the standard deviation, of the relation's scores
        of ``random_pairs`` random (h, t) entity pairs; NaN where a label is unknown. shape (m,)."""
        z = self.score(triples)
        found = ~numpy.isnan(z)
        if found.any():
            mean, std = self.relation_stats()
            relations = numpy.array([self.factory.relation_to_id[t[1]] for t, f in zip(triples, found) if f])
            z[found] = (z[found] - mean[relations]) / std[relations]
        return z

    @torch.no_grad()
    def relation_stats(self) -> Tuple[numpy.ndarray, numpy.ndarray]:
        """Per relation id, the mean and standard deviation of its scores of random (h, t)
        entity pairs (seeded, computed once). shapes (n_relations,), (n_relations,)."""
        if self._relation_stats is None:
            n_e, n_r, k = len(self.factory.entities), len(self.factory.relations), self._random_pairs
            generator = torch.Generator().manual_seed(self._seed)
            pairs = torch.randint(n_e, (n_r * k, 2), generator=generator)
            relations = torch.arange(n_r).repeat_interleave(k)
            scores = self.model.score(pairs[:, 0], relations, pairs[:, 1]).double().reshape(n_r, k).numpy()
            std = scores.std(1)
            self._relation_stats = (scores.mean(1), numpy.where(std > 0, std, 1.0))
        return self._relation_stats

    @torch.no_grad()
    def rank(self, triples: Sequence[Triple], batch_size: int = 256) -> numpy.ndarray:
        """The object's filtered rank among every entity as the tail of (h, r, ?); ties
        count half; NaN where a label is unknown. shape (m,)."""
        ids, found = self._found(triples)
        out = numpy.full(len(triples), numpy.nan, dtype="float64")
        rows = torch.from_numpy(ids[found].astype("int64")).reshape(-1, 3)
        ranks = []
        for begin in range(0, len(rows), batch_size):
            h, r, t = rows[begin : begin + batch_size].unbind(dim=1)
            ranks.append(realistic_ranks(self.model.score_t(h, r), t, self.known.tails(h, r)))
        if ranks:
            out[found] = torch.cat(ranks).double().numpy()
        return out

    def percentile(self, triples: Sequence[Triple]) -> numpy.ndarray:
        """1 - (rank - 1) / (n - 1): 1.0 for the most plausible object, 0.0 for the least."""
        n = max(2, len(self.factory.entities))
        return 1.0 - (self.rank(triples) - 1.0) / (n - 1)

    def _found(self, triples: Sequence[Triple]) -> Tuple[numpy.ndarray, numpy.ndarray]:
        ids = self._ids(list(triples))
        return ids, ~numpy.isnan(ids).any(1)

    def _ids(self, triples: Sequence[Triple]) -> numpy.ndarray:
        """(m, 3) ids as floats, NaN for an unknown label."""
        entities, relations = self.factory.entity_to_id, self.factory.relation_to_id
        out = numpy.full((len(triples), 3), numpy.nan)
        for i, (h, r, t) in enumerate(triples):
            out[i] = (entities.get(h, numpy.nan), relations.get(r, numpy.nan), entities.get(t, numpy.nan))
        return out
