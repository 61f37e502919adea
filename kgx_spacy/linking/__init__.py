"""Entity linking: aligning known entities to text."""

from .align import (
    EXACT,
    FUZZY,
    SUFFIX_WORDS,
    VARIANT,
    Aligner,
    Alignment,
    EntityLabels,
    align,
    label_variants,
)

__all__ = [
    "EXACT",
    "FUZZY",
    "SUFFIX_WORDS",
    "VARIANT",
    "Aligner",
    "Alignment",
    "EntityLabels",
    "align",
    "label_variants",
]
