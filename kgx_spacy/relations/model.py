"""Pair classifier: entity-pair features from shared token vectors → multi-label logits."""

from typing import List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats2d

from ..ml.pairs import PairsBatch, pair_head


@registry.architectures("kgx.PairClassifier.v2")
def build_pair_classifier(
    tok2vec: Model[List[Doc], List[Floats2d]],
    hidden_width: int = 256,
    dropout: float = 0.1,
    pooling: str = "mean",
    geometry: bool = False,
    nO: Optional[int] = None,
    context: str = "mean",
) -> Model[PairsBatch, Floats2d]:
    """Logits for every candidate pair of every Doc: ``tok2vec`` then ``pair_head``.

    tok2vec: token encoder, usually a TransformerListener on the shared ``transformer``.
    pooling, geometry, context: how the pair features are made (``ml.pairs.pair_features``).
    RETURNS: logits, shape (n_pairs_in_batch, nO), rows in the order of the pair arrays.
    """
    return _pair_classifier(tok2vec, pair_head(hidden_width, dropout, nO, pooling, geometry, context))


@registry.architectures("kgx.PairClassifier.v1")
def build_pair_classifier_v1(
    tok2vec: Model[List[Doc], List[Floats2d]],
    hidden_width: int = 256,
    dropout: float = 0.1,
    nO: Optional[int] = None,
) -> Model[PairsBatch, Floats2d]:
    """As v2 with mean-pooled spans and no geometry features."""
    return _pair_classifier(tok2vec, pair_head(hidden_width, dropout, nO))


def _pair_classifier(tok2vec: Model, head: Model) -> Model[PairsBatch, Floats2d]:
    return Model(
        "pair_classifier",
        _classifier_forward,
        init=_classifier_init,
        layers=[tok2vec, head],
        refs={"tok2vec": tok2vec, "head": head, "features": head.get_ref("features"),
              "output_layer": head.get_ref("output_layer")},
    )


def _classifier_init(model: Model, X: Optional[PairsBatch] = None, Y=None) -> None:
    tok2vec, head = model.layers
    if X is None:
        return
    docs, pairs = X
    tok2vec.initialize(X=docs)
    head.initialize(X=(tok2vec.predict(docs), pairs))


def _classifier_forward(model: Model, X: PairsBatch, is_train: bool):
    tok2vec, head = model.layers
    docs, pairs = X
    vectors, backprop_tok2vec = tok2vec(docs, is_train)
    logits, backprop_head = head((vectors, pairs), is_train)

    def backprop(d_logits: Floats2d):
        d_vectors, _ = backprop_head(d_logits)
        return backprop_tok2vec(d_vectors)

    return logits, backprop
