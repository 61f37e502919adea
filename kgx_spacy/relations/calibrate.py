"""Calibrate ``kgx_relation_classifier`` on dev data: Platt scaling and per-label thresholds.

On the dev texts, with the entities the pipeline itself predicts (as at inference), every
candidate pair's raw logit is collected with whether the gold data holds that relation
(strict: both spans, both entity types, the label). Per label:

- Platt scaling ``sigmoid(a * logit + b)``, fitted by Newton's method on the log loss, so
  scores are probabilities (reported as expected calibration error, before and after);
- the threshold that maximises the label's F1, counting gold relations the candidates
  cannot reach (missed entities) as false negatives.

With ``constrain_types``, both see only the pairs whose entity types the label may join.
"""

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example

from ..ml.losses import sigmoid
from .component import RelationClassifier, relation_tuples


@dataclass
class Calibration:
    """What ``calibrate`` found and set. ece_*: expected calibration error over all
    (pair, label) scores, 10 equal-width bins."""

    calibration: Dict[str, Tuple[float, float]]
    thresholds: Dict[str, float]
    ece_before: float
    ece_after: float
    n_scores: int


def calibrate(nlp: Language, examples: Sequence[Example], name: str = "kgx_relation_classifier") -> Calibration:
    """Fit calibration and thresholds on ``examples`` (dev data) and store them in the pipe."""
    pipe: RelationClassifier = nlp.get_pipe(name)
    docs = _annotate_upto(nlp, name, [eg.reference.text for eg in examples])
    pairs = [pipe.candidates(doc.ents) for doc in docs]
    logits = numpy.concatenate(pipe.pair_logits(docs, pairs))
    allowed = numpy.concatenate([pipe.type_mask(p) for p in pairs]) > 0
    truth = numpy.concatenate([_truth(pipe, doc, eg.reference, p) for doc, eg, p in zip(docs, examples, pairs)])
    n_gold = _gold_counts([eg.reference for eg in examples])
    calibration, thresholds = {}, {}
    before, after = [], []
    for k, label in enumerate(pipe.labels):
        rows = allowed[:, k]  # the pairs the label may join (all, without constrain_types)
        a, b = fit_platt(logits[rows, k], truth[rows, k])
        calibrated = sigmoid(a * logits[:, k] + b) * rows
        calibration[label] = (float(a), float(b))
        thresholds[label] = best_threshold(calibrated, truth[:, k], n_gold.get(label, 0))
        before.append(sigmoid(logits[:, k]))
        after.append(calibrated)
    pipe.cfg["calibration"] = calibration
    pipe.cfg["thresholds"] = thresholds
    flat_truth = truth.T.reshape(-1)
    return Calibration(
        calibration,
        thresholds,
        expected_calibration_error(numpy.concatenate(before), flat_truth),
        expected_calibration_error(numpy.concatenate(after), flat_truth),
        int(truth.size),
    )


def fit_platt(logits: numpy.ndarray, truth: numpy.ndarray, steps: int = 50) -> Tuple[float, float]:
    """(a, b) minimising the log loss of ``sigmoid(a * logit + b)``; (1, 0) without data.

    A small ridge pulls (a, b) towards (1, 0), so a label with few or one-sided examples
    keeps the model's own scale.
    """
    if len(logits) == 0 or truth.min() == truth.max():
        return 1.0, 0.0
    x = numpy.stack([logits.astype("float64"), numpy.ones_like(logits, dtype="float64")], axis=1)
    theta = numpy.array([1.0, 0.0])
    prior = numpy.array([1.0, 0.0])
    ridge = 1e-3 * len(logits)
    for _ in range(steps):
        p = sigmoid(x @ theta)
        grad = x.T @ (p - truth) + ridge * (theta - prior)
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge * numpy.eye(2)
        step = numpy.linalg.solve(hessian, grad)
        theta -= step
        if numpy.abs(step).max() < 1e-8:
            break
    return float(theta[0]), float(theta[1])


def best_threshold(probs: numpy.ndarray, truth: numpy.ndarray, n_gold: int) -> float:
    """The threshold maximising F1 = 2TP / (2TP + FP + FN), with FN = n_gold − TP.

    Between two candidate scores the midpoint is returned, so a score exactly at the
    threshold of a slightly different run does not flip.
    """
    if len(probs) == 0 or n_gold == 0:
        return 0.5
    order = numpy.argsort(-probs)
    sorted_probs, hits = probs[order], truth[order]
    tp = numpy.cumsum(hits)
    fp = numpy.arange(1, len(hits) + 1) - tp
    f1 = 2 * tp / (2 * tp + fp + (n_gold - tp))
    best = int(numpy.argmax(f1))
    if f1[best] == 0:
        return 0.5
    nxt = sorted_probs[best + 1] if best + 1 < len(sorted_probs) else 0.0
    return float((sorted_probs[best] + nxt) / 2)


def expected_calibration_error(probs: numpy.ndarray, truth: numpy.ndarray, bins: int = 10) -> float:
    """Σ over equal-width bins of |mean score − positive rate| × fraction of scores in the bin."""
    if len(probs) == 0:
        return 0.0
    index = numpy.minimum((probs * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            error += abs(probs[mask].mean() - truth[mask].mean()) * mask.mean()
    return float(error)


def _annotate_upto(nlp: Language, name: str, texts: List[str]) -> List[Doc]:
    """Run the pipeline's components before ``name`` (and ``name``'s encoder) on ``texts``."""
    upto = nlp.pipe_names[: nlp.pipe_names.index(name)]
    with nlp.select_pipes(enable=upto):
        return list(nlp.pipe(texts))


def _truth(pipe: RelationClassifier, doc: Doc, reference: Doc, pairs) -> numpy.ndarray:
    gold = relation_tuples(reference)
    types = {(e.start, e.end): e.label_ for e in doc.ents}
    truth = numpy.zeros((len(pairs), len(pipe.labels)), dtype="float64")
    for i, (head, tail) in enumerate(pairs):
        for k, label in enumerate(pipe.labels):
            key = (
                head.start_char, head.end_char, types.get((head.start, head.end)),
                tail.start_char, tail.end_char, types.get((tail.start, tail.end)), label,
            )
            truth[i, k] = key in gold
    return truth


def _gold_counts(references: List[Doc]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for doc in references:
        for *_, label in relation_tuples(doc):
            counts[label] = counts.get(label, 0) + 1
    return counts

