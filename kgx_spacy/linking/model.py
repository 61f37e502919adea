"""Candidate scorer for ``kgx_entity_linker``: mention context, KB features, KGE coherence.

Per candidate entity c of a mention m (h_m: the mention's context vector)::

    local(m, c) = w · f(m, c)  +  (P h_m) · k_c  +  (Q h_m) · t_c
    score(m, c) = local(m, c)  +  w_coh · coherence(m, c)
    score(m, NIL) = b_nil

f: the component's candidate features (alias similarity, prior, type agreement, …);
k_c: the entity's unit-length KGE vector (the context projected into the KGE space);
t_c: the unit-length encoder vector of the entity's label (spaCy's entity_linker's
"context similarity"); coherence: how plausible, by the KGE, the candidate is beside the
likely links of the document's other mentions (weights from the local scores' softmax,
held constant in the backward pass).
"""

from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats1d, Floats2d

# The columns of ``CandidateBatch.features`` (f above), in order; the component fills them.
FEATURES = (
    "alias_similarity", "prior", "exact_label", "normalised_alias", "inverse_rank",
    "type_agreement", "has_types", "has_kge_vector", "bias",
)
N_FEATURES = len(FEATURES)
HAS_KGE_VECTOR = FEATURES.index("has_kge_vector")
# The feature weights, coherence weight and NIL bias: a handful of scales that must travel
# far from zero, unlike the projections P and Q (the component scales their learn rate).
SCALAR_PARAMS = ("w", "w_coh", "b_nil")


@dataclass
class CandidateBatch:
    """The candidates of a batch's mentions, flat.

    mentions: shape (n_m, 3): doc index, start token, end token (exclusive).
    owner: shape (n_c,): the mention (row of ``mentions``) each candidate belongs to.
    features: shape (n_c, N_FEATURES), float32; columns named by ``FEATURES``.
    kge: shape (n_c, d_k): unit KGE vectors (zeros: no KGE vector, or KGE off).
    text: shape (n_c, d_t): unit label vectors (zeros: none, or off).
    pairs: shape (n_p, 2): candidate pairs (a, b) of different mentions of one Doc whose
        KGE plausibility makes a's coherence (none when KGE is off).
    plausibility: shape (n_p,): their standardised KGE plausibility, 0 where unknown.
    """

    mentions: numpy.ndarray
    owner: numpy.ndarray
    features: numpy.ndarray
    kge: numpy.ndarray
    text: numpy.ndarray
    pairs: numpy.ndarray
    plausibility: numpy.ndarray


LinkerInput = Tuple[List[Doc], CandidateBatch]


@registry.architectures("kgx.EntityLinker.v1")
def build_entity_linker(tok2vec: Model[List[Doc], List[Floats2d]]) -> Model[LinkerInput, Floats1d]:
    """Scores of every candidate and of NIL for every mention.

    tok2vec: token encoder, usually a TransformerListener on the shared ``transformer``.
    RETURNS: shape (n_c + n_m,): the candidates' scores, then each mention's NIL score.
    Dims ``nK`` (KGE width) and ``nT`` (label-vector width) are set by the component.
    """
    return Model(
        "entity_linker",
        _forward,
        init=_init,
        layers=[tok2vec],
        refs={"tok2vec": tok2vec},
        dims={"nI": None, "nK": None, "nT": None},
        params={"P": None, "Q": None, **{name: None for name in SCALAR_PARAMS}},
    )


def _init(model: Model, X: Optional[LinkerInput] = None, Y=None) -> None:
    tok2vec = model.layers[0]
    if X is not None:
        docs = X[0]
        tok2vec.initialize(X=docs)
        width = tok2vec.predict(docs[:1])[0].shape[1]
        model.set_dim("nI", 2 * width)
    ops = model.ops
    # Zeros: every candidate and NIL start equally likely; the data moves them.
    model.set_param("P", ops.alloc2f(model.get_dim("nK"), model.get_dim("nI")))
    model.set_param("Q", ops.alloc2f(model.get_dim("nT"), model.get_dim("nI")))
    model.set_param("w", ops.alloc1f(N_FEATURES))
    model.set_param("w_coh", ops.alloc1f(1))
    model.set_param("b_nil", ops.alloc1f(1))


def _forward(model: Model, X: LinkerInput, is_train: bool):
    """Runs on ``model.ops`` (the GPU's arrays on a GPU); only the coherence features,
    held constant in the backward pass, are computed on the host."""
    docs, batch = X
    ops = model.ops
    xp = ops.xp
    tok2vec = model.layers[0]
    vectors, backprop_tok2vec = tok2vec(docs, is_train)
    h = _mention_vectors(ops, vectors, batch.mentions)
    P, Q, w = (model.get_param(name) for name in ("P", "Q", "w"))
    w_coh = float(model.get_param("w_coh")[0])
    b_nil = float(model.get_param("b_nil")[0])
    owner = xp.asarray(batch.owner, dtype="int32")
    features, kge, text = (ops.asarray2f(a) for a in (batch.features, batch.kge, batch.text))
    q_k, q_t = h @ P.T, h @ Q.T
    local = features @ w + (q_k[owner] * kge).sum(1) + (q_t[owner] * text).sum(1)
    n_c, n_m = len(batch.owner), len(batch.mentions)
    nil = xp.full((n_m,), b_nil, dtype="float32")
    coherence = ops.asarray1f(
        coherence_features(ops.to_numpy(local), ops.to_numpy(nil), batch.owner, batch.pairs, batch.plausibility)
    )
    scores = ops.asarray1f(xp.concatenate([local + w_coh * coherence, nil]))

    def backprop(d_scores: Floats1d) -> List[Doc]:
        d_cand, d_nil = d_scores[:n_c], d_scores[n_c:]
        d_q_k = ops.alloc2f(*q_k.shape)
        d_q_t = ops.alloc2f(*q_t.shape)
        ops.scatter_add(d_q_k, owner, ops.asarray2f(d_cand[:, None] * kge))
        ops.scatter_add(d_q_t, owner, ops.asarray2f(d_cand[:, None] * text))
        grads = {
            "P": d_q_k.T @ h,
            "Q": d_q_t.T @ h,
            "w": features.T @ d_cand,
            "w_coh": (d_cand @ coherence).reshape((1,)),
            "b_nil": d_nil.sum().reshape((1,)),
        }
        for name, grad in grads.items():
            model.inc_grad(name, grad.astype("float32"))
        d_h = d_q_k @ P + d_q_t @ Q
        return backprop_tok2vec(_backprop_mention_vectors(ops, d_h, vectors, batch.mentions))

    return scores, backprop


def coherence_features(
    local: numpy.ndarray, nil: numpy.ndarray, owner: numpy.ndarray, pairs: numpy.ndarray, plausibility: numpy.ndarray
) -> numpy.ndarray:
    """Per candidate: the best, over the Doc's other mentions, of its expected KGE
    plausibility with that mention's link, weighted by that mention's softmax over its
    candidates and NIL (NIL adds nothing); 0 for a candidate with no pair of plausibility ≠ 0.

    local: shape (n_c,); nil: shape (n_m,); owner: shape (n_c,); pairs: shape (n_p, 2),
    candidate pairs (a, b); plausibility: shape (n_p,), of b beside a (0: unknown, not compared).
    RETURNS: shape (n_c,).
    """
    n_c, n_m = len(local), len(nil)
    known = plausibility != 0
    if not known.any():
        return numpy.zeros((n_c,), dtype="float32")
    top = nil.copy()
    numpy.maximum.at(top, owner, local)
    exp = numpy.exp(local - top[owner])
    total = numpy.exp(nil - top)
    numpy.add.at(total, owner, exp)
    probs = exp / total[owner]
    a, b = pairs[known].T
    # One cell per (candidate, partner mention): the expected plausibility of its link.
    cells, cell = numpy.unique(a * n_m + owner[b], return_inverse=True)
    expected = numpy.bincount(cell.reshape(-1), weights=plausibility[known] * probs[b])
    best = numpy.full((n_c,), -numpy.inf)
    numpy.maximum.at(best, cells // n_m, expected)
    return numpy.where(numpy.isfinite(best), best, 0.0).astype("float32")


def _mention_vectors(ops, vectors: List[Floats2d], mentions: numpy.ndarray) -> Floats2d:
    """Per mention, [mean of its tokens; mean of its Doc's tokens]: shape (n_m, 2d)."""
    width = vectors[0].shape[1] if vectors else 0
    h = ops.alloc2f(len(mentions), 2 * width)
    doc_means = [v.mean(0) if len(v) else ops.alloc1f(width) for v in vectors]
    for i, (d, start, end) in enumerate(mentions.tolist()):
        h[i, :width] = vectors[d][start:end].mean(0)
        h[i, width:] = doc_means[d]
    return h


def _backprop_mention_vectors(ops, d_h: Floats2d, vectors: List[Floats2d], mentions: numpy.ndarray) -> List[Floats2d]:
    d_vectors = [ops.alloc2f(*v.shape) for v in vectors]
    width = d_h.shape[1] // 2
    for i, (d, start, end) in enumerate(mentions.tolist()):
        d_vectors[d][start:end] += d_h[i, :width] / (end - start)
        if len(vectors[d]):
            d_vectors[d] += d_h[i, width:] / len(vectors[d])
    return d_vectors
