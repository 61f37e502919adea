"""Filtered realistic ranks on a hand-made example, and the metrics from them."""

import pytest
import torch

from kgx_spacy.kge import KnownTriples, evaluate, rank, rank_metrics
from kgx_spacy.kge.evaluation import realistic_ranks


class FixedScores:
    """A stand-in model: the same scores for every query, tails and heads apart."""

    def __init__(self, tail_scores, head_scores):
        self.tail_scores = torch.tensor(tail_scores)
        self.head_scores = torch.tensor(head_scores)

    def score_t(self, h, r):
        return self.tail_scores.repeat(len(h), 1)

    def score_h(self, r, t):
        return self.head_scores.repeat(len(r), 1)


def test_ties_count_half():
    scores = torch.tensor([[0.5, 0.9, 0.5, 0.5, 0.1]])
    # target 0 (0.5): one better (0.9), two tied (0.5, 0.5) → optimistic 2, pessimistic 4
    ranks = realistic_ranks(scores.clone(), torch.tensor([0]), (torch.tensor([], dtype=torch.long),) * 2)
    assert ranks.tolist() == [3.0]


def test_filtered_ranks_by_hand():
    # entities 0..4, one relation. Test (0, 0, 2); known true: (0, 0, 1), (3, 0, 2).
    model = FixedScores(
        tail_scores=[0.0, 0.9, 0.5, 0.5, 0.7],  # tail 2 scores 0.5: 1 (0.9) is filtered,
        # 4 (0.7) is better, 3 ties → ranks 2 and 3 → 2.5
        head_scores=[0.6, 0.2, 0.1, 0.8, 0.6],  # head 0 scores 0.6: 3 (0.8) is filtered,
        # 4 ties → 1.5
    )
    test = torch.tensor([[0, 0, 2]])
    known = KnownTriples(torch.tensor([[0, 0, 2], [0, 0, 1], [3, 0, 2]]))
    assert rank(model, test, known).tolist() == [2.5, 1.5]
    metrics = evaluate(model, test, [torch.tensor([[0, 0, 1], [3, 0, 2]])])
    assert metrics["mrr"] == pytest.approx((1 / 2.5 + 1 / 1.5) / 2)
    assert metrics["hits_at_1"] == 0.0
    assert metrics["hits_at_3"] == 1.0
    assert metrics["mean_rank"] == 2.0


def test_unfiltered_ranks_count_the_other_true_triples():
    model = FixedScores([0.0, 0.9, 0.5, 0.5, 0.7], [0.6, 0.2, 0.1, 0.8, 0.6])
    assert rank(model, torch.tensor([[0, 0, 2]]), KnownTriples(torch.tensor([[0, 0, 2]]))).tolist() == [3.5, 2.5]


def test_known_triples_lookup_per_query():
    known = KnownTriples(torch.tensor([[0, 1, 2], [0, 1, 3], [4, 0, 2], [0, 0, 3]]))
    rows, tails = known.tails(torch.tensor([0, 4, 1, 0]), torch.tensor([1, 0, 0, 0]))
    assert sorted(zip(rows.tolist(), tails.tolist())) == [(0, 2), (0, 3), (1, 2), (3, 3)]
    rows, heads = known.heads(torch.tensor([1, 0]), torch.tensor([2, 3]))
    assert sorted(zip(rows.tolist(), heads.tolist())) == [(0, 0), (1, 0)]


def test_metrics_are_fractions():
    metrics = rank_metrics(torch.tensor([1.0, 2.0, 4.0, 20.0]))
    assert metrics["mrr"] == pytest.approx((1 + 0.5 + 0.25 + 0.05) / 4)
    assert (metrics["hits_at_1"], metrics["hits_at_3"], metrics["hits_at_10"]) == (0.25, 0.5, 0.75)
