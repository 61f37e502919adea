"""BIO tag scheme and constrained Viterbi decoding.

BIO rather than BILUO: with a linear head on a fine-tuned encoder, BIO's 2K+1 tags give
each tag more training tokens than BILUO's 4K+1, and the constrained decoder below makes
the scheme's weakness (an ``I`` that follows nothing) impossible at inference.
"""

from typing import List, Optional, Sequence, Tuple

import numpy

OUTSIDE = "O"


def bio_tags(labels: Sequence[str]) -> List[str]:
    """Tag names, ``O`` first: ``["O", "B-L1", "I-L1", "B-L2", ...]``."""
    tags = [OUTSIDE]
    for label in labels:
        tags.extend((f"B-{label}", f"I-{label}"))
    return tags


def biluo_to_bio(tag: Optional[str]) -> Optional[str]:
    """spaCy's aligned BILUO tags → BIO; missing (``None``, ``""``, ``"-"``) → None."""
    if not tag or tag == "-":
        return None
    if tag[0] == "U":
        return "B" + tag[1:]
    if tag[0] == "L":
        return "I" + tag[1:]
    return tag


def allowed_transitions(n_labels: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Masks of valid BIO moves for tags from ``bio_tags``.

    RETURNS: ``start`` shape (n_tags,), True where a sequence may begin with the tag;
        ``trans`` shape (n_tags, n_tags), True where tag j may follow tag i.
    """
    n_tags = 2 * n_labels + 1
    start = numpy.ones(n_tags, dtype=bool)
    trans = numpy.ones((n_tags, n_tags), dtype=bool)
    for k in range(n_labels):
        inside = 2 + 2 * k
        start[inside] = False
        trans[:, inside] = False
        trans[inside - 1, inside] = True  # B-k → I-k
        trans[inside, inside] = True  # I-k → I-k
    return start, trans


def viterbi(log_probs: numpy.ndarray, start: numpy.ndarray, trans: numpy.ndarray) -> numpy.ndarray:
    """The best valid tag sequence under per-token log-probabilities.

    log_probs: shape (n_tokens, n_tags). start, trans: from ``allowed_transitions``.
    RETURNS: tag ids, shape (n_tokens,).
    """
    n_tokens, n_tags = log_probs.shape
    if n_tokens == 0:
        return numpy.zeros((0,), dtype="int64")
    penalty = numpy.where(trans, 0.0, -numpy.inf)
    score = numpy.where(start, log_probs[0], -numpy.inf)
    back = numpy.zeros((n_tokens, n_tags), dtype="int64")
    for i in range(1, n_tokens):
        candidates = score[:, None] + penalty  # (previous tag, tag)
        back[i] = candidates.argmax(axis=0)
        score = candidates[back[i], numpy.arange(n_tags)] + log_probs[i]
    path = numpy.empty(n_tokens, dtype="int64")
    path[-1] = int(score.argmax())
    for i in range(n_tokens - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def tags_to_spans(path: Sequence[int]) -> List[Tuple[int, int, int]]:
    """Tag ids of a valid BIO path → ``(start, end, label_index)`` with ``end`` exclusive."""
    spans = []
    begin = None
    for i, tag in enumerate(list(path) + [0]):
        if begin is not None and (tag == 0 or tag % 2 == 1):
            spans.append((begin, i, (path[begin] - 1) // 2))
            begin = None
        if tag % 2 == 1:
            begin = i
    return spans
