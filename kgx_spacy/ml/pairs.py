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


def pair_head(hidden_width: int, dropout: float, nO: Optional[int]) -> Model[VectorPairs, Floats2d]:
    """Pair features → ReLU hidden layer → logits; shape (n_pairs, nO)."""
    features = pair_features()
    output = Linear(nO=nO)
    model = chain(features, Relu(nO=hidden_width, dropout=dropout), output)
    model.set_ref("features", features)
    model.set_ref("output_layer", output)
    return model


def pair_features() -> Model[VectorPairs, Floats2d]:
    """Per pair, width 4d + 2k for d-wide token vectors and k entity types: the mean
    vectors of head and tail, their elementwise product, the mean of the tokens between
    them (zeros when adjacent), and one-hot head and tail types.

    k is set by the owning component from its labels (``set_n_types``).
    """
    return Model("pair_features", _features_forward, attrs={N_TYPES: 0})


def _features_forward(model: Model, X: VectorPairs, is_train: bool):
    vectors, pairs = X
    ops = model.ops
    n_types = model.attrs[N_TYPES]
    lengths = [len(v) for v in vectors]
    tokens = ops.flatten(vectors)
    width = tokens.shape[1]
    offsets = numpy.cumsum([0] + lengths[:-1]).astype("int64")
    rows = numpy.concatenate(
        [p[:, :4] + offset for p, offset in zip(pairs, offsets)] or [numpy.zeros((0, 4), "int64")]
    ).astype("int64")
    head_start, head_end, tail_start, tail_end = rows.T
    between_start = numpy.minimum(head_end, tail_end)
    between_end = numpy.maximum(between_start, numpy.maximum(head_start, tail_start))
    ranges = [(head_start, head_end), (tail_start, tail_end), (between_start, between_end)]
    pooled, backprops = [], []
    for start, end in ranges:
        index, span_lengths = _range_rows(start, end)
        if len(index):
            pooled.append(ops.reduce_mean(tokens[ops.asarray1i(index)], ops.asarray1i(span_lengths)))
        else:  # every range empty (e.g. only adjacent pairs): thinc's reduce_mean needs a row
            pooled.append(ops.alloc2f(len(start), width))
        backprops.append((index, span_lengths))
    head, tail, between = pooled
    types = numpy.concatenate([p[:, 4:6] for p in pairs] or [numpy.zeros((0, 2), "int64")])
    one_hot = numpy.zeros((len(types), 2 * n_types), dtype="float32")
    for column in range(2):
        known = types[:, column] > 0
        one_hot[numpy.flatnonzero(known), column * n_types + types[known, column] - 1] = 1.0
    output = ops.xp.hstack([head, tail, head * tail, between, ops.asarray2f(one_hot)])

    def backprop(d_output: Floats2d) -> Tuple[List[Floats2d], List[Ints2d]]:
        d_product = d_output[:, 2 * width : 3 * width]
        d_head = d_output[:, :width] + d_product * tail
        d_tail = d_output[:, width : 2 * width] + d_product * head
        d_between = ops.xp.ascontiguousarray(d_output[:, 3 * width : 4 * width])
        d_tokens = ops.alloc2f(*tokens.shape)
        for d_pooled, (index, span_lengths) in zip((d_head, d_tail, d_between), backprops):
            if len(index):
                d_rows = ops.backprop_reduce_mean(d_pooled, ops.asarray1i(span_lengths))
                ops.scatter_add(d_tokens, ops.asarray1i(index), d_rows)
        return ops.unflatten(d_tokens, lengths), pairs

    return output, backprop


def _range_rows(start: numpy.ndarray, end: numpy.ndarray) -> Tuple[numpy.ndarray, Ints1d]:
    """Row indices of every ``[start, end)`` range, concatenated, and the range lengths."""
    lengths = (end - start).astype("int32")
    if not lengths.sum():
        return numpy.zeros((0,), "int64"), lengths
    index = numpy.repeat(start - numpy.cumsum(numpy.r_[0, lengths[:-1]]), lengths)
    return index + numpy.arange(lengths.sum()), lengths
