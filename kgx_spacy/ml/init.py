"""Weight initialisers beyond Thinc's own."""


def zero_init(ops, shape):
    """All zeros (the v1 output layers; v2 uses Glorot, which lets the encoder learn at once)."""
    return ops.alloc2f(*shape)


def outside_prior_init(prior: float):
    """A tagger's output bias under which a zero input gives ``O`` (tag 0) probability
    ``prior`` and the other tags share the rest, so an untrained tagger finds fewer spans.
    Shape (n_tags,)."""
    import math

    def init(ops, shape):
        bias = ops.alloc1f(*shape)
        bias[0] = math.log(prior * (shape[0] - 1) / (1.0 - prior))
        return bias

    return init
