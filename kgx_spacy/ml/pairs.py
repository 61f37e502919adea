"""Entity-pair features from shared token vectors, and the pair head over them.

Used by ``kgx_relation_classifier`` (entity → entity) and ``kgx_attribute_tagger``
(entity → value span); each builds its pair arrays with ``pair_arrays``.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc, Span
from thinc.api import Linear, Model, Relu, chain
from thinc.types import Floats2d, Ints1d, Ints2d

# One candidate pair per row: head start, head end, tail start, tail end (token offsets,
# end exclusive), head type id, tail type id (0 = unknown type).
PairsBatch = Tuple[List[Doc], List[Ints2d]]
VectorPairs = Tuple[List[Floats2d], List[Ints2d]]
N_PAIR_COLUMNS = 6


N_TYPES = "n_types"  # pair_features' attribute: the number of entity types, k


def type_ids(labels: Sequence[str]) -> Dict[str, int]:
    """Label → type id for the pair arrays' type columns: 1, 2, … (0 = unknown type)."""
    return {label: i + 1 for i, label in enumerate(labels)}


def pair_arrays(
    pairs: List[List[Tuple[Span, Span]]], head_types: Dict[str, int], tail_types: Dict[str, int]
) -> List[Ints2d]:
    """One array per Doc, shape (n_pairs, N_PAIR_COLUMNS), rows in the order of ``pairs``.

    head_types, tail_types: label → type id (``type_ids``) of the first and second span.
    """
    arrays = []
    for doc_pairs in pairs:
        array = numpy.zeros((len(doc_pairs), N_PAIR_COLUMNS), dtype="int64")
        for i, (head, tail) in enumerate(doc_pairs):
            array[i] = (
                head.start, head.end, tail.start, tail.end,
                head_types.get(head.label_, 0), tail_types.get(tail.label_, 0),
            )
        arrays.append(array)
    return arrays


def set_n_types(features: Model, n_types: int) -> None:
    """Tell a ``pair_features`` layer how many entity types its one-hot columns hold."""
    features.attrs[N_TYPES] = n_types


POOLINGS = ("mean", "max", "mean_max")
# Lower bounds of the span-width and gap buckets of ``pair_features(geometry=True)``.
WIDTH_BUCKETS = (1, 2, 3, 4, 5, 8, 16)
GAP_BUCKETS = (0, 1, 2, 3, 5, 9, 17)


def pair_head(
    hidden_width: int, dropout: float, nO: Optional[int], pooling: str = "mean", geometry: bool = False,
    context: str = "mean",
) -> Model[VectorPairs, Floats2d]:
    """Pair features → ReLU hidden layer → logits; shape (n_pairs, nO)."""
    features = pair_features(pooling, geometry, context)
    output = Linear(nO=nO)
    model = chain(features, Relu(nO=hidden_width, dropout=dropout), output)
    model.set_ref("features", features)
    model.set_ref("output_layer", output)
    return model


def pair_features(pooling: str = "mean", geometry: bool = False, context: str = "mean") -> Model[VectorPairs, Floats2d]:
    """Per pair, for d-wide token vectors and k entity types: the pooled vectors of head
    and tail (s wide), their elementwise product, the pooled tokens between them (c wide,
    zeros when adjacent) and one-hot head and tail types: width 3s + c + 2k.

    pooling: how a span's tokens make its vector: ``mean`` (s = d), ``max`` (s = d) or
        ``mean_max`` (both, s = 2d).
    context: the same for the tokens between the spans (c = d, or 2d for ``mean_max``);
        SpERT max-pools them.
    geometry: also one-hot span widths of head and tail (``WIDTH_BUCKETS``), the gap
        between them (``GAP_BUCKETS``) and whether the head comes first (+ 3·7 + 1).
    k is set by the owning component from its labels (``set_n_types``).
    """
    for name, value in (("pooling", pooling), ("context", context)):
        if value not in POOLINGS:
            raise ValueError(f"{name} must be one of {POOLINGS}, not {value!r}")
    return Model(
        "pair_features", _features_forward,
        attrs={N_TYPES: 0, "pooling": pooling, "geometry": geometry, "context": context},
    )


def _features_forward(model: Model, X: VectorPairs, is_train: bool):
    vectors, pairs = X
    ops = model.ops
    n_types = model.attrs[N_TYPES]
    pooling = model.attrs["pooling"]
    lengths = [len(v) for v in vectors]
    tokens = ops.flatten(vectors)
    offsets = numpy.cumsum([0] + lengths[:-1]).astype("int64")
    rows = numpy.concatenate(
        [p[:, :4] + offset for p, offset in zip(pairs, offsets)] or [numpy.zeros((0, 4), "int64")]
    ).astype("int64")
    head_start, head_end, tail_start, tail_end = rows.T
    between_start = numpy.minimum(head_end, tail_end)
    between_end = numpy.maximum(between_start, numpy.maximum(head_start, tail_start))
    head, back_head = _pool(ops, tokens, head_start, head_end, pooling)
    tail, back_tail = _pool(ops, tokens, tail_start, tail_end, pooling)
    between, back_between = _pool(ops, tokens, between_start, between_end, model.attrs["context"])
    types = numpy.concatenate([p[:, 4:6] for p in pairs] or [numpy.zeros((0, 2), "int64")])
    one_hot = numpy.zeros((len(types), 2 * n_types), dtype="float32")
    for column in range(2):
        known = types[:, column] > 0
        one_hot[numpy.flatnonzero(known), column * n_types + types[known, column] - 1] = 1.0
    fixed = [one_hot]
    if model.attrs["geometry"]:
        fixed.append(_geometry(head_start, head_end, tail_start, tail_end))
    output = ops.xp.hstack([head, tail, head * tail, between, ops.asarray2f(numpy.hstack(fixed))])
    s, c = head.shape[1], between.shape[1]

    def backprop(d_output: Floats2d) -> Tuple[List[Floats2d], List[Ints2d]]:
        d_product = d_output[:, 2 * s : 3 * s]
        d_tokens = ops.alloc2f(*tokens.shape)
        back_head(d_output[:, :s] + d_product * tail, d_tokens)
        back_tail(d_output[:, s : 2 * s] + d_product * head, d_tokens)
        back_between(ops.xp.ascontiguousarray(d_output[:, 3 * s : 3 * s + c]), d_tokens)
        return ops.unflatten(d_tokens, lengths), pairs

    return output, backprop


def _pool(ops, tokens: Floats2d, start: numpy.ndarray, end: numpy.ndarray, pooling: str):
    """The ``[start, end)`` ranges of ``tokens`` pooled, shape (n, d) or (n, 2d) for
    ``mean_max``; and ``backprop(d_pooled, d_tokens)``, which adds into ``d_tokens``.
    An empty range pools to zeros (only the tokens between two spans can be empty)."""
    index, span_lengths = _range_rows(start, end)
    n, width = len(start), tokens.shape[1]
    if not len(index):  # every range empty (e.g. only adjacent pairs): thinc needs a row
        return ops.alloc2f(n, width * (2 if pooling == "mean_max" else 1)), lambda d, d_tokens: None
    picked, lengths = tokens[ops.asarray1i(index)], ops.asarray1i(span_lengths)
    parts = []
    if pooling in ("mean", "mean_max"):
        parts.append(ops.reduce_mean(picked, lengths))
    if pooling in ("max", "mean_max"):  # thinc's reduce_max takes no empty range
        filled = numpy.flatnonzero(span_lengths > 0)
        rows = ops.asarray1i(filled)
        maxes, which = ops.reduce_max(picked, ops.asarray1i(span_lengths[filled]))
        parts.append(ops.alloc2f(n, width))
        parts[-1][rows] = maxes

    def backprop(d_pooled: Floats2d, d_tokens: Floats2d) -> None:
        column = 0
        if pooling in ("mean", "mean_max"):
            d_mean = ops.xp.ascontiguousarray(d_pooled[:, :width])
            ops.scatter_add(d_tokens, ops.asarray1i(index), ops.backprop_reduce_mean(d_mean, lengths))
            column = width
        if pooling in ("max", "mean_max"):
            d_max = ops.xp.ascontiguousarray(d_pooled[rows, column : column + width])
            d_picked = ops.backprop_reduce_max(d_max, which, ops.asarray1i(span_lengths[filled]))
            ops.scatter_add(d_tokens, ops.asarray1i(index), d_picked)

    return (parts[0] if len(parts) == 1 else ops.xp.hstack(parts)), backprop


def _geometry(head_start, head_end, tail_start, tail_end) -> numpy.ndarray:
    """One-hot head width, tail width and gap buckets, and head-first; shape (n, 22)."""
    gap = numpy.maximum(0, numpy.maximum(head_start, tail_start) - numpy.minimum(head_end, tail_end))
    columns = [
        _buckets(head_end - head_start, WIDTH_BUCKETS),
        _buckets(tail_end - tail_start, WIDTH_BUCKETS),
        _buckets(gap, GAP_BUCKETS),
        (head_start < tail_start).astype("float32")[:, None],
    ]
    return numpy.hstack(columns).astype("float32")


def _buckets(values: numpy.ndarray, bounds: Sequence[int]) -> numpy.ndarray:
    one_hot = numpy.zeros((len(values), len(bounds)), dtype="float32")
    one_hot[numpy.arange(len(values)), numpy.searchsorted(bounds, values, side="right") - 1] = 1.0
    return one_hot


def _range_rows(start: numpy.ndarray, end: numpy.ndarray) -> Tuple[numpy.ndarray, Ints1d]:
    """Row indices of every ``[start, end)`` range, concatenated, and the range lengths."""
    lengths = (end - start).astype("int32")
    if not lengths.sum():
        return numpy.zeros((0,), "int64"), lengths
    index = numpy.repeat(start - numpy.cumsum(numpy.r_[0, lengths[:-1]]), lengths)
    return index + numpy.arange(lengths.sum()), lengths
