"""Token-classification architecture for ``kgx_ner``."""

from typing import List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Dropout, Linear, Model, chain, with_array
from thinc.types import Floats2d


@registry.architectures("kgx.TokenTagger.v1")
def build_token_tagger(
    tok2vec: Model[List[Doc], List[Floats2d]],
    dropout: float = 0.1,
    nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """Token vectors → tag logits, one row per token.

    tok2vec: any token encoder; usually a TransformerListener on the shared ``transformer``.
    dropout: applied to the token vectors before the output layer.
    nO: number of tags (2 × labels + 1 for BIO); set by the component at initialisation.
    RETURNS: per Doc, logits of shape (n_tokens, nO), unnormalised.
    """
    output = Linear(nO=nO, init_W=zero_init)
    model = chain(tok2vec, with_array(chain(Dropout(dropout), output)))
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output)
    return model


def zero_init(ops, shape):
    # Zero output weights: every tag starts equally likely, and the first updates
    # are driven by the data rather than by the random projection of the encoder.
    return ops.alloc2f(*shape)
