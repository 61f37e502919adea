"""BIO tag scheme and constrained Viterbi decoding.

BIO rather than BILUO: with a linear head on a fine-tuned encoder, BIO's 2K+1 tags give
each tag more training tokens than BILUO's 4K+1, and the constrained decoder below makes
the scheme's weakness (an ``I`` that follows nothing) impossible at inference.
"""

from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

import numpy
from thinc.api import get_array_module

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


@lru_cache(maxsize=64)
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
    start.flags.writeable = trans.flags.writeable = False  # shared through the cache
    return start, trans


def viterbi(log_probs: numpy.ndarray) -> numpy.ndarray:
    """The best valid BIO tag sequence under per-token log-probabilities.

    The moves of ``allowed_transitions`` make each step linear in the tags: ``O`` and
    every ``B-k`` may follow any tag (so their best predecessor is the best tag so far),
    ``I-k`` only ``B-k`` or ``I-k``. The same path as the quadratic recursion over
    ``trans``, ties to the lower tag id, at a fraction of its cost with hundreds of labels.

    log_probs: shape (n_tokens, 2 * n_labels + 1), tags as ``bio_tags`` orders them.
    RETURNS: tag ids, shape (n_tokens,).
    """
    n_tokens, n_tags = log_probs.shape
    if n_tokens == 0:
        return numpy.zeros((0,), dtype="int64")
    begins = numpy.arange(1, n_tags, 2)  # B-k; I-k is B-k + 1
    score = log_probs[0].copy()
    score[begins + 1] = -numpy.inf  # a sequence never starts inside an entity
    back = numpy.zeros((n_tokens, n_tags), dtype="int64")
    for i in range(1, n_tokens):
        best = int(score.argmax())
        from_inside = score[begins + 1] > score[begins]
        previous = numpy.full(n_tags, best, dtype="int64")
        previous[begins + 1] = numpy.where(from_inside, begins + 1, begins)
        back[i] = previous
        score = score[previous] + log_probs[i]
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


ScoredSpan = Tuple[int, int, int, float]


def decode(scores: numpy.ndarray, n_labels: int) -> List[ScoredSpan]:
    """Tag logits of one Doc, shape (n_tokens, 2 * n_labels + 1) → its best valid spans.

    RETURNS: ``(start, end, label_index, score)``; the score is the geometric mean of the
        chosen tags' probabilities.
    """
    if len(scores) == 0:
        return []
    log_probs = log_softmax(scores)
    start, trans = allowed_transitions(n_labels)
    path = log_probs.argmax(axis=1)
    # The token-wise best path is the best valid one whenever it is valid, which is the
    # usual case for a trained tagger: Viterbi only runs when it is not.
    if not (start[path[0]] and trans[path[:-1], path[1:]].all()):
        path = viterbi(log_probs)
    chosen = log_probs[numpy.arange(len(path)), path]
    return [(s, e, label, float(numpy.exp(chosen[s:e].mean()))) for s, e, label in tags_to_spans(path)]


def tagging_loss(
    scores: Sequence[numpy.ndarray], gold: Sequence[Sequence[Optional[str]]], tags: Sequence[str]
) -> Tuple[float, List[numpy.ndarray]]:
    """Cross-entropy summed over tokens with a known gold BIO tag, and its gradient.

    Summed, as spaCy's own losses are: a mean over a batch's ~1,000 tokens makes the
    encoder's gradients so small that Adam's epsilon damps its updates, and in joint
    training it would weigh a component by its batch size instead of its examples.

    scores: per Doc, logits of shape (n_tokens, n_tags), numpy or cupy: the loss and the
    gradients are computed on their device. gold: per Doc, a tag name or None (missing, or
    the token does not align to one gold token) per token; None adds no loss and no gradient.
    """
    index = {tag: i for i, tag in enumerate(tags)}
    d_scores, total = [], 0.0
    for doc_scores, doc_gold in zip(scores, gold):
        xp = get_array_module(doc_scores)
        known = xp.asarray([tag is not None for tag in doc_gold], dtype="float32")
        truth = xp.asarray([index.get(tag, 0) if tag else 0 for tag in doc_gold], dtype="int64")
        rows = xp.arange(len(doc_gold))
        probs = xp.exp(log_softmax(doc_scores))
        total -= float((xp.log(probs[rows, truth] + 1e-12) * known).sum())
        probs[rows, truth] -= 1.0
        d_scores.append(probs * known[:, None])
    return total, d_scores


def log_softmax(scores):
    """Row-wise log-softmax on the array module of ``scores``."""
    xp = get_array_module(scores)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
