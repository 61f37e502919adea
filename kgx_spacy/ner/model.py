"""Token-classification architecture for ``kgx_ner``."""

from typing import List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import (
    Dropout,
    Linear,
    Maxout,
    Model,
    chain,
    expand_window,
    glorot_uniform_init,
    with_array,
)
from thinc.types import Floats2d

from ..ml.init import zero_init


@registry.architectures("kgx.TokenTagger.v2")
def build_token_tagger(
    tok2vec: Model[List[Doc], List[Floats2d]],
    dropout: float = 0.1,
    hidden_width: int = 0,
    window_size: int = 0,
    nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """Token vectors → tag logits, one row per token.

    The output layer starts from Glorot-uniform weights, so the encoder gets gradient from
    the first step (v1 started from zeros: no gradient reached the encoder until the output
    weights had grown, and on CoNLL04 dev F was 0.42 after 300 steps against 0.81 here).

    tok2vec: any token encoder; usually a TransformerListener on the shared ``transformer``.
    dropout: applied to the token vectors before the output layer.
    hidden_width: with > 0, a maxout layer of this width between the vectors and the output.
    window_size: with > 0, that layer sees each token's vector beside those of its
        ``window_size`` neighbours on either side, as spaCy's transition-based NER sees a
        window of tokens.
    nO: number of tags (2 × labels + 1 for BIO); set by the component at initialisation.
    RETURNS: per Doc, logits of shape (n_tokens, nO), unnormalised.
    """
    return _token_tagger(tok2vec, dropout, hidden_width, window_size, nO, glorot_uniform_init)


@registry.architectures("kgx.TokenTagger.v1")
def build_token_tagger_v1(
    tok2vec: Model[List[Doc], List[Floats2d]],
    dropout: float = 0.1,
    hidden_width: int = 0,
    window_size: int = 0,
    nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """As v2, with zero-initialised output weights (kept for pipelines trained with it)."""
    return _token_tagger(tok2vec, dropout, hidden_width, window_size, nO, zero_init)


def _token_tagger(tok2vec, dropout, hidden_width, window_size, nO, init_W) -> Model[List[Doc], List[Floats2d]]:
    output = Linear(nO=nO, init_W=init_W)
    layers = [Dropout(dropout)]
    if window_size > 0:
        layers.append(expand_window(window_size=window_size))
    if hidden_width > 0:
        layers.append(Maxout(nO=hidden_width, nP=2, dropout=dropout, normalize=True))
    model = chain(tok2vec, with_array(chain(*layers, output)))
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output)
    return model


@registry.architectures("kgx.ConcatTok2Vec.v1")
def build_concat_tok2vec(
    first: Model[List[Doc], List[Floats2d]], second: Model[List[Doc], List[Floats2d]]
) -> Model[List[Doc], List[Floats2d]]:
    """Per token, the vectors of two encoders side by side: shape (n_tokens, d1 + d2).

    For an uncased transformer (all-MiniLM-L6-v2 lowercases its input), a small hash
    embedding of ORTH and SHAPE as ``second`` gives the tagger back capitalisation.
    """
    return Model("concat_tok2vec", _concat_forward, init=_concat_init, layers=[first, second])


def _concat_init(model: Model, X: Optional[List[Doc]] = None, Y=None) -> None:
    for layer in model.layers:
        layer.initialize(X=X)


def _concat_forward(model: Model, docs: List[Doc], is_train: bool):
    # thinc's concatenate adds up the layers' input gradients, which Docs do not have.
    first, second = model.layers
    a, backprop_a = first(docs, is_train)
    b, backprop_b = second(docs, is_train)
    widths = (a[0].shape[1], b[0].shape[1]) if docs else (0, 0)
    output = [model.ops.xp.hstack((x, y)) for x, y in zip(a, b)]

    def backprop(d_output: List[Floats2d]) -> List[Doc]:
        backprop_a([model.ops.as_contig(d[:, : widths[0]]) for d in d_output])
        backprop_b([model.ops.as_contig(d[:, widths[0] :]) for d in d_output])
        return []

    return output, backprop
