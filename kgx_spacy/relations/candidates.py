"""Candidate entity pairs for relation classification, bounded in distance and number."""

from typing import Callable, List, Sequence, Tuple

from spacy.tokens import Span
from spacy.util import registry

Offsets = Tuple[int, int]
PairGenerator = Callable[[Sequence[Span]], List[Tuple[Span, Span]]]


@registry.misc("kgx.entity_pair_candidates.v1")
def make_entity_pair_candidates(max_distance: int = 100, max_pairs: int = 1000) -> PairGenerator:
    """Directed pairs (head, tail) of distinct spans, nearest first.

    max_distance: the most tokens allowed between the two spans (0 = adjacent).
    max_pairs: the most pairs per Doc; the nearest are kept, so a Doc with 200 entities
        costs at most ``max_pairs`` classifications.
    """

    def candidates(spans: Sequence[Span]) -> List[Tuple[Span, Span]]:
        spans = sorted(spans, key=lambda s: (s.start, s.end))
        pairs = []
        for i, head in enumerate(spans):
            for tail in spans[i + 1 :]:
                gap = tail.start - head.end
                if gap > max_distance:
                    break  # spans are sorted by start: every later tail is farther
                if _overlap(head, tail):
                    continue
                pairs.append((max(gap, 0), head, tail))
        pairs.sort(key=lambda p: (p[0], p[1].start, p[2].start))
        directed = []
        for _, a, b in pairs:
            directed.extend(((a, b), (b, a)))
        return directed[:max_pairs]

    return candidates


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end
