"""Pair features: shapes and gradients in the corner cases a batch can hit."""

import numpy
from thinc.api import NumpyOps

from kgx_spacy.ml.pairs import pair_features


def test_only_adjacent_pairs_have_zero_between_vectors():
    model = pair_features()
    model.attrs["n_types"] = 2
    vectors = [numpy.arange(12, dtype="float32").reshape(4, 3)]
    pairs = [numpy.array([[0, 1, 1, 2, 1, 2], [2, 3, 3, 4, 0, 1]], dtype="int64")]  # nothing between
    output, backprop = model((vectors, pairs), is_train=True)
    width = 3
    assert output.shape == (2, 4 * width + 4)
    assert not output[:, 3 * width : 4 * width].any()
    numpy.testing.assert_allclose(output[0, :width], vectors[0][0])
    (d_vectors,), _ = backprop(NumpyOps().alloc2f(*output.shape) + 1.0)
    assert d_vectors.shape == (4, 3)
