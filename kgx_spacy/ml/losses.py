"""Losses the heads share, summed over rows (the optimiser's learn rate sets the scale).

They run on the array module of their input (numpy on CPU, cupy on GPU), so a GPU step
computes its loss and gradient where the logits are.
"""

from typing import Tuple

from thinc.api import get_array_module
from thinc.types import Floats2d


def sigmoid(x):
    """1 / (1 + e^-x), elementwise, without overflow for large |x|."""
    xp = get_array_module(x)
    return xp.exp(-xp.logaddexp(0.0, -x))


def multilabel_loss(logits: Floats2d, truth) -> Tuple[float, Floats2d]:
    """Sigmoid binary cross-entropy summed over labels and rows (as ``tagging_loss`` sums
    over tokens); and its gradient, on the device of ``logits``.

    logits, truth: shape (n_pairs, n_labels); truth holds 0.0 or 1.0 (any device).
    """
    xp = get_array_module(logits)
    truth = xp.asarray(truth, dtype=logits.dtype)
    probs = sigmoid(logits)
    eps = 1e-7
    loss = -(truth * xp.log(probs + eps) + (1 - truth) * xp.log(1 - probs + eps)).sum()
    return float(loss), probs - truth
