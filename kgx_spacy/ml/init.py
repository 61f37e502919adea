"""Weight initialisers beyond Thinc's own."""


def zero_init(ops, shape):
    """All zeros (the v1 output layers; v2 uses Glorot, which lets the encoder learn at once)."""
    return ops.alloc2f(*shape)
