"""Interactions: stateless scoring functions of (head, relation, tail) embeddings.

Each model has three forms of its interaction:

- ``score(h, r, t)``: broadcasting, ``(*batch, ·) → (*batch,)``; used for training triples and
  sampled negatives.
- ``tails(h, r, t_all)``: one (head, relation) query against every entity as tail,
  ``(b, ·) × (n, ·) → (b, n)``, through a matrix product or ``cdist`` rather than an
  ``(b, n, d)`` intermediate wherever the algebra allows.
- ``heads(r, t, h_all)``: the same for heads, ``(b, ·) × (n, ·) → (b, n)``.

Interactions linear in the relation also have a pair form (``PAIR_SCORES``): entity pairs
against every relation, both directions, as matrix products (the linker's plausibility).

Higher is more plausible. Distance models return the negated distance; the margin that turns
it into a logit belongs to the loss. Complex vectors are real tensors whose last dimension
``2d`` holds the real parts then the imaginary parts (``[re | im]``); RotatE's relations are
``d`` phases (radians).
"""

from dataclasses import dataclass
from functools import partial
from typing import Callable, Dict

import torch
from torch import Tensor

# ComplEx/RotatE's 1-N forms that cannot be a matrix product work in slices of entities of
# about this many (query × entity × dimension) elements, so memory stays bounded.
CHUNK_ELEMENTS = 2**24


def transe(h: Tensor, r: Tensor, t: Tensor, p: int = 1) -> Tensor:
    """TransE (Bordes et al. 2013): -‖h + r - t‖_p.

    h, r, t: shape: (*batch, d).
    RETURNS: shape: (*batch,).
    """
    return -torch.linalg.vector_norm(h + r - t, ord=p, dim=-1)


def transe_tails(h: Tensor, r: Tensor, t_all: Tensor, p: int = 1) -> Tensor:
    """h, r: shape: (b, d); t_all: shape: (n, d). RETURNS: shape: (b, n)."""
    return -torch.cdist(h + r, t_all, p=p)


def transe_heads(r: Tensor, t: Tensor, h_all: Tensor, p: int = 1) -> Tensor:
    """‖h + r - t‖ = ‖h - (t - r)‖. r, t: shape: (b, d); h_all: shape: (n, d). RETURNS: (b, n)."""
    return -torch.cdist(t - r, h_all, p=p)


def distmult(h: Tensor, r: Tensor, t: Tensor) -> Tensor:
    """DistMult (Yang et al. 2015): Σ h·r·t, symmetric in h and t.

    h, r, t: shape: (*batch, d).
    RETURNS: shape: (*batch,).
    """
    return (h * r * t).sum(dim=-1)


def distmult_tails(h: Tensor, r: Tensor, t_all: Tensor) -> Tensor:
    """h, r: shape: (b, d); t_all: shape: (n, d). RETURNS: shape: (b, n)."""
    return (h * r) @ t_all.T


def distmult_heads(r: Tensor, t: Tensor, h_all: Tensor) -> Tensor:
    """r, t: shape: (b, d); h_all: shape: (n, d). RETURNS: shape: (b, n)."""
    return (r * t) @ h_all.T


def _split(x: Tensor):
    d = x.shape[-1] // 2
    return x[..., :d], x[..., d:]


def complex_(h: Tensor, r: Tensor, t: Tensor) -> Tensor:
    """ComplEx (Trouillon et al. 2016): Re(Σ h·r·conj(t)).

    h, r, t: shape: (*batch, 2d), ``[re | im]``.
    RETURNS: shape: (*batch,).
    """
    (h_re, h_im), (r_re, r_im), (t_re, t_im) = _split(h), _split(r), _split(t)
    return ((h_re * r_re - h_im * r_im) * t_re + (h_re * r_im + h_im * r_re) * t_im).sum(dim=-1)


def complex_tails(h: Tensor, r: Tensor, t_all: Tensor) -> Tensor:
    """Re(<h·r, conj(t)>) = [Re(h·r) | Im(h·r)] · [t_re | t_im]: one matrix product.

    h, r: shape: (b, 2d); t_all: shape: (n, 2d). RETURNS: shape: (b, n).
    """
    (h_re, h_im), (r_re, r_im) = _split(h), _split(r)
    query = torch.cat([h_re * r_re - h_im * r_im, h_re * r_im + h_im * r_re], dim=-1)
    return query @ t_all.T


def complex_heads(r: Tensor, t: Tensor, h_all: Tensor) -> Tensor:
    """Re(Σ h·q) with q = r·conj(t), i.e. [q_re | -q_im] · [h_re | h_im].

    r, t: shape: (b, 2d); h_all: shape: (n, 2d). RETURNS: shape: (b, n).
    """
    (r_re, r_im), (t_re, t_im) = _split(r), _split(t)
    query = torch.cat([r_re * t_re + r_im * t_im, r_re * t_im - r_im * t_re], dim=-1)
    return query @ h_all.T


def _rotated(x: Tensor, phase: Tensor, sign: int = 1) -> Tensor:
    """x·e^(±i·phase) in ``[re | im]`` layout. x: (*batch, 2d); phase: (*batch, d)."""
    x_re, x_im = _split(x)
    cos, sin = torch.cos(phase), sign * torch.sin(phase)
    return torch.cat([x_re * cos - x_im * sin, x_re * sin + x_im * cos], dim=-1)


def _modulus_distance(a: Tensor, b: Tensor) -> Tensor:
    """Σ_i |a_i - b_i| over complex components. a, b: (*batch, 2d) → (*batch,)."""
    diff_re, diff_im = _split(a - b)
    return torch.sqrt(diff_re**2 + diff_im**2).sum(dim=-1)


def rotate(h: Tensor, r: Tensor, t: Tensor) -> Tensor:
    """RotatE (Sun et al. 2019): -Σ_i |h_i·e^(i·r_i) - t_i|, relations as rotations.

    h, t: shape: (*batch, 2d), ``[re | im]``; r: shape: (*batch, d), phases.
    RETURNS: shape: (*batch,).
    """
    return -_modulus_distance(_rotated(h, r), t)


def _all_distances(query: Tensor, candidates: Tensor) -> Tensor:
    """Σ_i |q_i - c_i| for every (query, candidate), in slices of candidates.

    query: shape: (b, 2d); candidates: shape: (n, 2d). RETURNS: shape: (b, n).
    """
    b, width = query.shape
    step = max(1, CHUNK_ELEMENTS // max(1, b * width))
    return torch.cat(
        [
            _modulus_distance(query[:, None, :], candidates[None, start : start + step, :])
            for start in range(0, candidates.shape[0], step)
        ],
        dim=1,
    )


def rotate_tails(h: Tensor, r: Tensor, t_all: Tensor) -> Tensor:
    """h: shape: (b, 2d); r: shape: (b, d); t_all: shape: (n, 2d). RETURNS: shape: (b, n)."""
    return -_all_distances(_rotated(h, r), t_all)


def rotate_heads(r: Tensor, t: Tensor, h_all: Tensor) -> Tensor:
    """|h·e^(ir) - t| = |h - t·e^(-ir)| since |e^(ir)| = 1.

    r: shape: (b, d); t: shape: (b, 2d); h_all: shape: (n, 2d). RETURNS: shape: (b, n).
    """
    return -_all_distances(_rotated(t, r, sign=-1), h_all)


def distmult_pairs(h: Tensor, t: Tensor, r: Tensor) -> Tensor:
    """Σ h·r·t = (h·t) · r, the same in both directions."""
    return (h * t) @ r.T


def complex_pairs(h: Tensor, t: Tensor, r: Tensor) -> Tensor:
    """Re(Σ h·r·conj(t)) = s · r_re + a · r_im, with s = Re(h·conj(t)) the same for (t, h)
    and a = -Im(h·conj(t)) negated: the better direction scores s · r_re + |a · r_im|."""
    d = h.shape[-1] // 2
    h_re, h_im, t_re, t_im = h[:, :d], h[:, d:], t[:, :d], t[:, d:]
    return (h_re * t_re + h_im * t_im) @ r[:, :d].T + ((h_re * t_im - h_im * t_re) @ r[:, d:].T).abs()


# Interactions linear in the relation, whose scores of entity pairs with every relation
# are matrix products: h, t: shape (n, w); r: shape (n_r, w_r). RETURNS: per pair and
# relation, the better of the scores of (h, r, t) and (t, r, h), shape (n, n_r).
PAIR_SCORES = {"distmult": distmult_pairs, "complex": complex_pairs}


@dataclass(frozen=True)
class Interaction:
    """One interaction's three forms and the widths of its representations.

    entity_width, relation_width: how many real numbers per entity/relation for ``dim`` d,
    as a multiple of d (ComplEx: 2d per entity and relation; RotatE: 2d per entity, d phases).
    complex_valued: entities are ``[re | im]`` complex vectors (regularised by modulus).
    """

    score: Callable[[Tensor, Tensor, Tensor], Tensor]
    tails: Callable[[Tensor, Tensor, Tensor], Tensor]
    heads: Callable[[Tensor, Tensor, Tensor], Tensor]
    entity_width: int = 1
    relation_width: int = 1
    complex_valued: bool = False


INTERACTIONS: Dict[str, Interaction] = {
    "transe": Interaction(transe, transe_tails, transe_heads),
    "transe_l2": Interaction(
        partial(transe, p=2), partial(transe_tails, p=2), partial(transe_heads, p=2)
    ),
    "distmult": Interaction(distmult, distmult_tails, distmult_heads),
    "complex": Interaction(complex_, complex_tails, complex_heads, 2, 2, complex_valued=True),
    "rotate": Interaction(rotate, rotate_tails, rotate_heads, 2, 1, complex_valued=True),
}
