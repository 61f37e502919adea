"""Architecture for ``kgx_attribute_tagger``: a value-span tagger and an entity → value pair
head on one token encoder."""

from typing import List, Optional, Tuple

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Dropout, Linear, Model, chain, glorot_uniform_init, with_array
from thinc.types import Floats2d, Ints2d

from ..ml.init import outside_prior_init, zero_init
from ..ml.pairs import pair_head


@registry.architectures("kgx.AttributeTagger.v2")
def build_attribute_tagger(
    tok2vec: Model[List[Doc], List[Floats2d]],
    hidden_width: int = 256,
    dropout: float = 0.1,
    outside_prior: Optional[float] = None,
) -> Model[Tuple[List[Doc], List[Ints2d]], Tuple[List[Floats2d], Floats2d]]:
    """Token vectors feed two heads, whose output sizes the component sets from its labels.

    - ``value_tagger``: BIO logits for value spans, per Doc shape (n_tokens, 2k + 1) for k
      attributes.
    - ``pair_head``: multi-label logits for (entity, value span) pairs, shape (n_pairs, k).

    As a whole the model maps ``(docs, pairs)`` to ``(tag logits, pair logits)`` (training,
    where the pairs are known); at inference the component runs the heads one after the
    other, since the pairs depend on the values the tagger finds.

    The value tagger's output starts from Glorot-uniform weights (v1: zeros, which kept
    gradient from the encoder until they had grown). ``outside_prior``: the untrained
    tagger's probability of ``O`` (None: a zero bias, every tag alike); 0.99 keeps an
    untrained tagger from finding values everywhere, whose pairs with every entity make
    the first evaluations of a run slow.
    """
    return _attribute_tagger(tok2vec, hidden_width, dropout, glorot_uniform_init, outside_prior)


@registry.architectures("kgx.AttributeTagger.v1")
def build_attribute_tagger_v1(
    tok2vec: Model[List[Doc], List[Floats2d]],
    hidden_width: int = 256,
    dropout: float = 0.1,
) -> Model[Tuple[List[Doc], List[Ints2d]], Tuple[List[Floats2d], Floats2d]]:
    """As v2, with a zero-initialised value-tagger output (kept for pipelines trained with it)."""
    return _attribute_tagger(tok2vec, hidden_width, dropout, zero_init)


def _attribute_tagger(tok2vec, hidden_width: int, dropout: float, init_W, outside_prior: Optional[float] = None) -> Model:
    value_output = Linear(init_W=init_W) if outside_prior is None else Linear(init_W=init_W, init_b=outside_prior_init(outside_prior))
    tagger = with_array(chain(Dropout(dropout), value_output))
    head = pair_head(hidden_width, dropout, None)
    return Model(
        "attribute_tagger",
        _forward,
        init=_init,
        layers=[tok2vec, tagger, head],
        refs={
            "tok2vec": tok2vec,
            "value_tagger": tagger,
            "value_output": value_output,
            "pair_head": head,
            "features": head.get_ref("features"),
            "pair_output": head.get_ref("output_layer"),
        },
    )


def _init(model: Model, X: Optional[Tuple[List[Doc], List[Ints2d]]] = None, Y=None) -> None:
    if X is None:
        return
    tok2vec, tagger, head = model.layers
    docs, pairs = X
    tok2vec.initialize(X=docs)
    vectors = tok2vec.predict(docs)
    tagger.initialize(X=vectors)
    head.initialize(X=(vectors, pairs))


def _forward(model: Model, X: Tuple[List[Doc], List[Ints2d]], is_train: bool):
    tok2vec, tagger, head = model.layers
    docs, pairs = X
    vectors, backprop_tok2vec = tok2vec(docs, is_train)
    tag_logits, backprop_tagger = tagger(vectors, is_train)
    pair_logits, backprop_head = head((vectors, pairs), is_train)

    def backprop(d_output: Tuple[List[Floats2d], Floats2d]):
        d_tags, d_pairs = d_output
        d_vectors = backprop_tagger(d_tags)
        d_from_pairs, _ = backprop_head(d_pairs)
        return backprop_tok2vec([a + b for a, b in zip(d_vectors, d_from_pairs)])

    return (tag_logits, pair_logits), backprop
