"""Filtered link-prediction evaluation: realistic ranks, MRR and Hits@k.

For each test triple (h, r, t) the model ranks every entity as the tail of (h, r) and as the
head of (r, t). Other known true triples are filtered out of each ranking (Bordes et al.
2013). A tie counts half (the "realistic" rank of PyKEEN and LibKGE): the mean of the
optimistic rank 1 + #{score > true} and the pessimistic rank 1 + #{score ≥ true}.
"""

from typing import Dict, Sequence, Tuple

import torch
from torch import Tensor

HITS_AT = (1, 3, 10)


class KnownTriples:
    """True triples indexed by (head, relation) and by (relation, tail), for filtering.

    triples: shape: (m, 3), ids.
    """

    def __init__(self, triples: Tensor):
        self.n_relations = int(triples[:, 1].max()) + 1 if len(triples) else 1
        h, r, t = triples.unbind(dim=1)
        self._tails = _SortedIndex(h * self.n_relations + r, t)
        self._heads = _SortedIndex(t * self.n_relations + r, h)

    def tails(self, h: Tensor, r: Tensor) -> Tuple[Tensor, Tensor]:
        """Known tails of each (h[i], r[i]) as (row i, tail) pairs. h, r: shape: (b,)."""
        return self._tails.lookup(h * self.n_relations + r)

    def heads(self, r: Tensor, t: Tensor) -> Tuple[Tensor, Tensor]:
        """Known heads of each (r[i], t[i]) as (row i, head) pairs. r, t: shape: (b,)."""
        return self._heads.lookup(t * self.n_relations + r)


class _SortedIndex:
    """key → values, as sorted keys and their values (no Python dict: it stays on the device)."""

    def __init__(self, keys: Tensor, values: Tensor):
        self.keys, order = keys.sort()
        self.values = values[order]

    def lookup(self, queries: Tensor) -> Tuple[Tensor, Tensor]:
        """queries: shape: (b,). RETURNS: (rows, values) of every match, shape: (matches,) each."""
        queries = queries.to(self.keys.device)
        begin = torch.searchsorted(self.keys, queries, right=False)
        counts = torch.searchsorted(self.keys, queries, right=True) - begin
        rows = torch.repeat_interleave(torch.arange(len(queries), device=queries.device), counts)
        # position of each match inside its query's run of equal keys
        offsets = torch.arange(len(rows), device=queries.device) - torch.repeat_interleave(
            counts.cumsum(0) - counts, counts
        )
        return rows, self.values[torch.repeat_interleave(begin, counts) + offsets]


def realistic_ranks(scores: Tensor, targets: Tensor, filtered: Tuple[Tensor, Tensor]) -> Tensor:
    """Rank of each row's target among its unfiltered candidates; ties count half.

    scores: shape: (b, n), overwritten; targets: shape: (b,); filtered: (rows, columns) of
    the candidates to leave out (the target itself is always left out of its competitors).
    RETURNS: shape: (b,), float ranks ≥ 1.
    """
    rows = torch.arange(len(targets), device=scores.device)
    true = scores[rows, targets].unsqueeze(1)
    scores[filtered] = float("-inf")
    scores[rows, targets] = float("-inf")
    optimistic = (scores > true).sum(dim=1)
    pessimistic = (scores >= true).sum(dim=1)
    return 1 + (optimistic + pessimistic).float() / 2


@torch.no_grad()
def rank(model, triples: Tensor, known: KnownTriples, batch_size: int = 256) -> Tensor:
    """Filtered realistic ranks of the tails, then of the heads, of ``triples``.

    model: anything with ``score_t(h, r)`` and ``score_h(r, t)`` returning (b, n) scores.
    triples: shape: (m, 3). RETURNS: shape: (2m,), tails first.
    At most batch_size × n scores exist at once.
    """
    device = _device(model)
    tail_ranks, head_ranks = [], []
    for begin in range(0, len(triples), batch_size):
        h, r, t = triples[begin : begin + batch_size].to(device).unbind(dim=1)
        tail_ranks.append(realistic_ranks(model.score_t(h, r), t, known.tails(h, r)))
        head_ranks.append(realistic_ranks(model.score_h(r, t), h, known.heads(r, t)))
    return torch.cat(tail_ranks + head_ranks).cpu()


def rank_metrics(ranks: Tensor) -> Dict[str, float]:
    """MRR, Hits@1/3/10 (fractions) and the mean rank of ``ranks``."""
    ranks = ranks.double()
    metrics = {"mrr": (1.0 / ranks).mean().item()}
    for k in HITS_AT:
        metrics[f"hits_at_{k}"] = (ranks <= k).double().mean().item()
    metrics["mean_rank"] = ranks.mean().item()
    return metrics


def evaluate(model, triples: Tensor, filter_triples: Sequence[Tensor] = (), batch_size: int = 256) -> Dict[str, float]:
    """Filtered link prediction on ``triples`` (shape: (m, 3)); head and tail ranks together.

    filter_triples: the other known true triples (usually train and valid); ``triples`` are
    always filtered too.
    """
    device = _device(model)
    known = KnownTriples(torch.cat([triples, *filter_triples]).to(device))
    return rank_metrics(rank(model, triples, known, batch_size))


def _device(model) -> torch.device:
    parameter = next(model.parameters(), None) if hasattr(model, "parameters") else None
    return parameter.device if parameter is not None else torch.device("cpu")
