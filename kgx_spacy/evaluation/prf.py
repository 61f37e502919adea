"""Precision, recall and F1 from counts, and the per-label annotation filter the scorers share."""

from typing import Dict

from spacy.tokens import Doc

from ..extensions import ANNOTATED_LABELS


def prf(tp: int, fp: int, fn: int) -> Dict[str, float]:
    """Precision, recall and F1 from counts; 0.0 where undefined."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"p": p, "r": r, "f": 2 * p * r / (p + r) if p + r else 0.0}


def annotated(keys: set, reference: Doc, label_at: int = -1) -> set:
    """The keys whose label (``key[label_at]``) the reference is annotated for; all keys
    when it does not say (``doc._.kgx_annotated_labels`` empty)."""
    labels = reference._.get(ANNOTATED_LABELS)
    return {key for key in keys if key[label_at] in labels} if labels else keys
