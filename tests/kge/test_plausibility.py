"""The KGE's plausibility of triples by IRI: a planted triple beats its corruptions."""

import numpy
import pytest

from kgx_spacy.kge import KGEModel, Plausibility, TrainingConfig, train


def labels(factory, ids):
    """Id triples → IRI-like label triples."""
    return [(factory.entities[h], factory.relations[r], factory.entities[t]) for h, r, t in ids.tolist()]


@pytest.fixture
def trained(couples):
    factory, triples, _ = couples
    model = KGEModel("complex", factory, dim=8, reciprocal=True)
    train(model, triples, TrainingConfig(epochs=60, batch_size=16, lr=0.1, n3_weight=1e-3))
    return model


def test_a_planted_triple_is_more_plausible_than_its_corruptions(couples, trained, tmp_path):
    factory, triples, planted_ids = couples
    trained.to_disk(tmp_path / "kge")
    plausibility = Plausibility.from_disk(tmp_path / "kge", known=labels(factory, triples))
    planted = labels(factory, planted_ids)[0]  # (b0, spouse, a0): only (a0, spouse, b0) was trained
    corrupted = [(planted[0], planted[1], e) for e in factory.entities if e.startswith("a") and e != planted[2]]
    scores = plausibility.score([planted, *corrupted])
    assert scores[0] > scores[1:].max()
    ranks = plausibility.rank([planted, *corrupted])
    assert ranks[0] == 1.0 and (ranks[1:] > 1.0).all()
    assert plausibility.percentile([planted])[0] == 1.0


def test_known_triples_do_not_push_a_rank_down(trained):
    """(a0, next, ?) has one true tail, a1; filtering it out lifts every other candidate."""
    triple = ("a0", "next", "a5")
    plain = Plausibility(trained).rank([triple])[0]
    filtered = Plausibility(trained, known=[("a0", "next", "a1")]).rank([triple])[0]
    assert filtered == plain - 1


def test_unknown_labels_have_no_plausibility(trained):
    plausibility = Plausibility(trained)
    triples = [("new-entity", "spouse", "a0"), ("a0", "new-relation", "b0"), ("a0", "spouse", "b0")]
    scores, ranks = plausibility.score(triples), plausibility.rank(triples)
    assert numpy.isnan(scores[:2]).all() and numpy.isnan(ranks[:2]).all()
    assert not numpy.isnan(scores[2]) and ranks[2] == 1.0
    assert plausibility.knows("a0") and not plausibility.knows("new-entity")


def test_standardised_puts_a_planted_triple_far_above_random_pairs(couples, trained):
    """z is 0 for what a random pair of the relation scores: the planted spouse far above,
    and the same score whatever the relation's scale (a multiple of score's)."""
    factory, _, planted_ids = couples
    plausibility = Plausibility(trained)
    planted = labels(factory, planted_ids)[0]
    corrupted = [(planted[0], planted[1], e) for e in factory.entities if e.startswith("a") and e != planted[2]]
    z = plausibility.standardised([planted, *corrupted, ("new-entity", "spouse", "a0")])
    assert z[0] > 2.0 and z[0] > z[1:-1].max() and numpy.isnan(z[-1])
    mean, std = plausibility.relation_stats()
    raw = plausibility.score([planted])[0]
    assert z[0] == pytest.approx((raw - mean[factory.relation_to_id["spouse"]]) / std[factory.relation_to_id["spouse"]])
    assert numpy.array_equal(Plausibility(trained).relation_stats()[0], mean)  # seeded
