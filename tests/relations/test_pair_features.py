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


def _features(pooling, geometry, vectors, pairs, context="mean"):
    model = pair_features(pooling, geometry, context)
    model.attrs["n_types"] = 2
    return model((vectors, pairs), is_train=True)


VECTORS = [numpy.random.default_rng(0).standard_normal((7, 3)).astype("float32")]
PAIRS = [numpy.array([[0, 2, 4, 7, 1, 2], [4, 7, 0, 2, 2, 0], [2, 3, 3, 4, 1, 1]], dtype="int64")]


def test_max_and_mean_max_pooling_of_the_spans():
    tokens = VECTORS[0]
    out_max, _ = _features("max", False, VECTORS, PAIRS)
    numpy.testing.assert_allclose(out_max[0, :3], tokens[0:2].max(0))
    numpy.testing.assert_allclose(out_max[0, 3:6], tokens[4:7].max(0))
    numpy.testing.assert_allclose(out_max[0, 6:9], tokens[0:2].max(0) * tokens[4:7].max(0), rtol=1e-6)
    numpy.testing.assert_allclose(out_max[0, 9:12], tokens[2:4].mean(0), rtol=1e-6)  # between: mean
    out_both, _ = _features("mean_max", False, VECTORS, PAIRS)
    assert out_both.shape == (3, 3 * 6 + 3 + 4)
    numpy.testing.assert_allclose(out_both[0, :6], numpy.r_[tokens[0:2].mean(0), tokens[0:2].max(0)], rtol=1e-6)


def test_context_pooling_of_the_tokens_between():
    tokens = VECTORS[0]
    out_max, _ = _features("mean", False, VECTORS, PAIRS, context="max")
    numpy.testing.assert_allclose(out_max[0, 9:12], tokens[2:4].max(0))
    numpy.testing.assert_allclose(out_max[1, 9:12], tokens[2:4].max(0))  # tail first: same tokens
    assert not out_max[2, 9:12].any()  # adjacent spans: zeros, not thinc's error on an empty range
    out_both, _ = _features("mean", False, VECTORS, PAIRS, context="mean_max")
    assert out_both.shape == (3, 3 * 3 + 6 + 4)
    numpy.testing.assert_allclose(out_both[0, 9:15], numpy.r_[tokens[2:4].mean(0), tokens[2:4].max(0)], rtol=1e-6)


def test_geometry_columns():
    out, _ = _features("mean", True, VECTORS, PAIRS)
    geometry = out[:, 4 * 3 + 4 :]
    assert geometry.shape == (3, 22) and (geometry[:, :21].sum(1) == 3).all()
    # pair 0: head width 2, tail width 3, gap 2, head first
    assert geometry[0, 1] == 1 and geometry[0, 7 + 2] == 1 and geometry[0, 14 + 2] == 1 and geometry[0, 21] == 1
    assert geometry[1, 21] == 0 and geometry[2, 14 + 0] == 1  # tail first; adjacent: gap 0


def test_gradients_match_finite_differences():
    rng = numpy.random.default_rng(1)
    for pooling, context in (("mean", "mean"), ("max", "max"), ("mean_max", "mean_max")):
        out, backprop = _features(pooling, True, VECTORS, PAIRS, context)
        weights = rng.standard_normal(out.shape).astype("float32")
        (d_vectors,), _ = backprop(weights.copy())
        eps = 1e-2
        for row, col in ((0, 0), (3, 1), (5, 2), (2, 0)):
            plus, minus = [v.copy() for v in VECTORS], [v.copy() for v in VECTORS]
            plus[0][row, col] += eps
            minus[0][row, col] -= eps
            f = lambda vs: float((_features(pooling, True, vs, PAIRS, context)[0] * weights).sum())
            numeric = (f(plus) - f(minus)) / (2 * eps)
            assert abs(numeric - d_vectors[row, col]) < 1e-2 * max(1.0, abs(numeric)), (pooling, row, col)
