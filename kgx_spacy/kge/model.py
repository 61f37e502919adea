"""A knowledge-graph embedding model: entity and relation embeddings plus an interaction."""

import json
import math
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch
from torch import Tensor

from ..errors import KgxInputError
from ..io import atomic_write, read_text
from .interactions import INTERACTIONS, PAIR_SCORES
from .triples import TriplesFactory

# Elements of the largest intermediate tensor of a chunk of entity pairs (best_relation_scores).
PAIR_CHUNK_ELEMENTS = 2**23
CONFIG_FILE = "kge.json"
ENTITIES_FILE = "entities.npy"
RELATIONS_FILE = "relations.npy"


def default_init_scale(interaction: str, dim: int, margin: float = 6.0) -> float:
    """The initialisation each model's paper (or reference code) uses.

    TransE: uniform ±6/√d (Bordes et al. 2013). DistMult, ComplEx: normal · 1e-3 (Lacroix et
    al. 2018, the scale their N3-regularised 1-N training starts from). RotatE: uniform
    ±(γ + 2)/d with γ the margin (Sun et al. 2019's reference code).
    """
    if interaction.startswith("transe"):
        return 6 / math.sqrt(dim)
    if interaction == "rotate":
        return (margin + 2) / dim
    return 1e-3


class KGEModel(torch.nn.Module):
    """Entity and relation embeddings scored by one of ``INTERACTIONS``.

    interaction: a key of ``INTERACTIONS`` ("transe", "transe_l2", "distmult", "complex", "rotate").
    factory: the entity and relation labels (e.g. IRIs) and their ids.
    dim: embedding size d (complex models hold 2d real numbers per vector).
    reciprocal: keep one extra relation r⁻¹ (id r + len(relations)) per relation, trained on
        the inverted triples, and predict heads as tails of r⁻¹ (Lacroix et al. 2018).
        Without it, heads are predicted with the interaction's own head form.
    init_scale: see ``default_init_scale`` (its value when None).
    seed: the initialisation's random seed.
    """

    def __init__(
        self,
        interaction: str,
        factory: TriplesFactory,
        dim: int,
        reciprocal: bool = False,
        init_scale: Optional[float] = None,
        seed: int = 0,
    ):
        super().__init__()
        if interaction not in INTERACTIONS:
            raise ValueError(f"unknown interaction {interaction!r}; choose from {sorted(INTERACTIONS)}")
        self.interaction_name = interaction
        self.interaction = INTERACTIONS[interaction]
        self.factory = factory
        self.dim = dim
        self.reciprocal = reciprocal
        self.init_scale = default_init_scale(interaction, dim) if init_scale is None else init_scale
        self.seed = seed
        n_relations = len(factory.relations) * (2 if reciprocal else 1)
        self.entity_embeddings = torch.nn.Parameter(
            torch.empty(len(factory.entities), self.interaction.entity_width * dim)
        )
        self.relation_embeddings = torch.nn.Parameter(
            torch.empty(n_relations, self.interaction.relation_width * dim)
        )
        self.reset_parameters()

    @property
    def config(self) -> dict:
        return {
            "interaction": self.interaction_name,
            "dim": self.dim,
            "reciprocal": self.reciprocal,
            "init_scale": self.init_scale,
            "seed": self.seed,
        }

    @torch.no_grad()
    def reset_parameters(self) -> None:
        generator = torch.Generator().manual_seed(self.seed)
        scale = self.init_scale
        if self.interaction_name in ("distmult", "complex"):
            for weights in (self.entity_embeddings, self.relation_embeddings):
                weights.normal_(0.0, scale, generator=generator)
        else:  # TransE and RotatE (whose relations are phases uniform in [-π, π])
            for weights in (self.entity_embeddings, self.relation_embeddings):
                weights.uniform_(-scale, scale, generator=generator)

    def entity(self, ids: Tensor) -> Tensor:
        """ids: shape: (*batch,). RETURNS: shape: (*batch, entity width)."""
        return self.entity_embeddings[ids]

    def relation(self, ids: Tensor) -> Tensor:
        """ids: shape: (*batch,). RETURNS: shape: (*batch, relation width).

        RotatE's relations are stored in [-ε, ε] and read as phases in [-π, π], as in the
        reference code, so an optimiser step moves them on the entities' scale.
        """
        weights = self.relation_embeddings[ids]
        if self.interaction_name == "rotate":
            return weights * (math.pi / self.init_scale)
        return weights

    def inverse(self, r: Tensor) -> Tensor:
        """The reciprocal relation's id (a reciprocal model only)."""
        return r + len(self.factory.relations)

    def score(self, h: Tensor, r: Tensor, t: Tensor) -> Tensor:
        """h, r, t: entity/relation ids of broadcastable shapes. RETURNS: shape: (*batch,)."""
        return self.interaction.score(self.entity(h), self.relation(r), self.entity(t))

    def score_hrt(self, hrt: Tensor) -> Tensor:
        """hrt: shape: (b, 3), (head, relation, tail) ids. RETURNS: shape: (b,)."""
        return self.score(hrt[:, 0], hrt[:, 1], hrt[:, 2])

    def score_t(self, h: Tensor, r: Tensor) -> Tensor:
        """Every entity as the tail of (h, r). h, r: shape: (b,). RETURNS: shape: (b, n)."""
        return self.interaction.tails(self.entity(h), self.relation(r), self.entity_embeddings)

    def score_h(self, r: Tensor, t: Tensor) -> Tensor:
        """Every entity as the head of (r, t). r, t: shape: (b,). RETURNS: shape: (b, n).

        A reciprocal model scores (t, r⁻¹, ?), the direction it was trained on; otherwise the
        interaction's head form scores (?, r, t) itself.
        """
        if self.reciprocal:
            return self.score_t(t, self.inverse(r))
        return self.interaction.heads(self.relation(r), self.entity(t), self.entity_embeddings)

    def best_relation_scores(self, h: Tensor, t: Tensor) -> Tensor:
        """h, t: KGE entity rows, shape (n,). RETURNS: max over relations r of the scores
        of (h, r, t) and (t, r, h), shape (n,): matrix products for ``PAIR_SCORES``
        interactions, else the model's score broadcast over the relations."""
        model = self
        relations = torch.arange(model.relation_embeddings.shape[0])
        pair_scores = PAIR_SCORES.get(model.interaction_name)
        if pair_scores is not None:
            chunk = max(1, PAIR_CHUNK_ELEMENTS // len(relations))
        else:
            chunk = max(1, PAIR_CHUNK_ELEMENTS // (len(relations) * model.entity_embeddings.shape[1]))
        best = []
        for begin in range(0, len(h), chunk):
            heads, tails = h[begin : begin + chunk], t[begin : begin + chunk]
            if pair_scores is not None:
                scores = pair_scores(model.entity(heads), model.entity(tails), model.relation(relations))
                best.append(scores.max(1).values)
            else:
                forward = model.score(heads[:, None], relations[None, :], tails[:, None]).max(1).values
                backward = model.score(tails[:, None], relations[None, :], heads[:, None]).max(1).values
                best.append(torch.maximum(forward, backward))
        return torch.cat(best)

    def n3(self, h: Tensor, r: Tensor, t: Tensor) -> Tensor:
        """N3 (Lacroix et al. 2018): Σ |f|³ over the batch's factors, divided by the batch size.

        Complex factors count by modulus; RotatE's phases are not regularised.
        h, r, t: shape: (b,). RETURNS: a scalar.
        """
        factors = [self.entity(h), self.entity(t)]
        if self.interaction_name != "rotate":
            factors.append(self.relation(r))
        total = 0.0
        for factor in factors:
            if self.interaction.complex_valued:
                re, im = factor.chunk(2, dim=-1)
                factor = torch.sqrt(re**2 + im**2)
            total = total + factor.abs().pow(3).sum()
        return total / h.shape[0]

    def to_disk(self, path: Union[str, Path]) -> None:
        """Write ``path/``: entities.npy, relations.npy (float32) and kge.json (config and labels)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, weights in ((ENTITIES_FILE, self.entity_embeddings), (RELATIONS_FILE, self.relation_embeddings)):
            with atomic_write(path / name) as f:
                np.save(f, weights.detach().to("cpu", torch.float32).numpy())
        meta = {**self.config, "entities": self.factory.entities, "relations": self.factory.relations}
        with atomic_write(path / CONFIG_FILE, "w") as f:
            json.dump(meta, f, ensure_ascii=False)

    @classmethod
    def from_disk(cls, path: Union[str, Path], mmap: bool = False) -> "KGEModel":
        """Load what ``to_disk`` wrote, on the CPU.

        mmap: map the embedding files instead of reading them (``np.load(mmap_mode="c")``:
            pages are read on first use and the files are never written; "c" rather than "r"
            because torch needs a writable buffer).
        """
        path = Path(path)
        if not (path / CONFIG_FILE).is_file():
            raise KgxInputError(path, f"not a saved KGE model (no {CONFIG_FILE})")
        meta = json.loads(read_text(path / CONFIG_FILE))
        with torch.device("meta"):
            model = cls(
                meta["interaction"], TriplesFactory(meta["entities"], meta["relations"]), meta["dim"],
                reciprocal=meta["reciprocal"], init_scale=meta["init_scale"], seed=meta["seed"],
            )
        for name, attr in ((ENTITIES_FILE, "entity_embeddings"), (RELATIONS_FILE, "relation_embeddings")):
            weights = np.load(path / name, mmap_mode="c" if mmap else None)
            expected = tuple(getattr(model, attr).shape)
            if weights.shape != expected:
                raise KgxInputError(path / name, f"shape {weights.shape}, expected {expected} from {CONFIG_FILE}")
            setattr(model, attr, torch.nn.Parameter(torch.from_numpy(weights)))
        return model
