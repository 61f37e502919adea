"""Each interaction against a naive per-element formula; 1-N forms against the broadcast form."""

import cmath

import pytest
import torch

from kgx_spacy.kge import INTERACTIONS
from kgx_spacy.kge import interactions as module


def _c(vector):
    """[re | im] → Python complex numbers."""
    d = len(vector) // 2
    return [complex(vector[i], vector[d + i]) for i in range(d)]


def _transe(p):
    return lambda h, r, t: -sum(abs(a + b - c) ** p for a, b, c in zip(h, r, t)) ** (1 / p)


NAIVE = {
    "transe": _transe(1),
    "transe_l2": _transe(2),
    "distmult": lambda h, r, t: sum(a * b * c for a, b, c in zip(h, r, t)),
    "complex": lambda h, r, t: sum(
        a * b * c.conjugate() for a, b, c in zip(_c(h), _c(r), _c(t))
    ).real,
    "rotate": lambda h, r, t: -sum(
        abs(a * cmath.exp(1j * phase) - c) for a, phase, c in zip(_c(h), r, _c(t))
    ),
}
DIM = 4


def test_every_interaction_has_a_naive_formula():
    assert set(NAIVE) == set(INTERACTIONS)


def _embeddings(name, *shape, seed=0):
    """Random entity-like and relation-like tensors of the interaction's widths (float64)."""
    interaction = INTERACTIONS[name]
    generator = torch.Generator().manual_seed(seed)
    entity = lambda *s: torch.randn(*s, interaction.entity_width * DIM, generator=generator, dtype=torch.float64)
    relation = lambda *s: torch.randn(*s, interaction.relation_width * DIM, generator=generator, dtype=torch.float64)
    return entity, relation


@pytest.mark.parametrize("name", sorted(NAIVE))
def test_interaction_matches_naive_formula_with_broadcasting(name):
    entity, relation = _embeddings(name)
    h, r, t = entity(2, 1), relation(1, 3), entity(2, 3)
    scores = INTERACTIONS[name].score(h, r, t)
    assert scores.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            expected = NAIVE[name](h[i, 0].tolist(), r[0, j].tolist(), t[i, j].tolist())
            assert scores[i, j].item() == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", sorted(NAIVE))
def test_one_to_all_forms_equal_the_broadcast_form(name, monkeypatch):
    monkeypatch.setattr(module, "CHUNK_ELEMENTS", 50)  # several slices in RotatE's 1-N form
    interaction = INTERACTIONS[name]
    entity, relation = _embeddings(name, seed=1)
    h, r, t, everyone = entity(3), relation(3), entity(3), entity(7)
    tails = interaction.tails(h, r, everyone)
    heads = interaction.heads(r, t, everyone)
    assert tails.shape == heads.shape == (3, 7)
    torch.testing.assert_close(tails, interaction.score(h[:, None], r[:, None], everyone[None]))
    torch.testing.assert_close(heads, interaction.score(everyone[None], r[:, None], t[:, None]))


def test_rotate_relations_are_rotations_so_distance_is_norm_preserving():
    """A phase of 0 is the identity: RotatE(h, 0, h) = 0 and TransE(h, 0, h) = 0."""
    h = torch.randn(5, 2 * DIM, dtype=torch.float64)
    zero = torch.zeros(5, DIM, dtype=torch.float64)
    torch.testing.assert_close(module.rotate(h, zero, h), torch.zeros(5, dtype=torch.float64))
    torch.testing.assert_close(module.transe(h, torch.zeros_like(h), h), torch.zeros(5, dtype=torch.float64))
