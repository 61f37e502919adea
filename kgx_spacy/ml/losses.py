"""Losses the heads share, summed over rows (the optimiser's learn rate sets the scale)."""

from typing import Tuple

import numpy


def sigmoid(x: numpy.ndarray) -> numpy.ndarray:
    """1 / (1 + e^-x), elementwise, without overflow for large |x|."""
    return numpy.exp(-numpy.logaddexp(0.0, -x))


def multilabel_loss(logits: numpy.ndarray, truth: numpy.ndarray) -> Tuple[float, numpy.ndarray]:
    """Sigmoid binary cross-entropy summed over labels and rows (as ``tagging_loss`` sums
    over tokens); and its gradient.

    logits, truth: shape (n_pairs, n_labels); truth holds 0.0 or 1.0.
    """
    probs = sigmoid(logits)
    eps = 1e-7
    loss = -(truth * numpy.log(probs + eps) + (1 - truth) * numpy.log(1 - probs + eps)).sum()
    return float(loss), probs - truth
