"""``kgx_entity_linker``: links ``doc.ents`` to a KB built from RDF, scored with the KG's
embeddings; mentions it cannot link get a deterministic minted IRI (NIL)."""

import zlib
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import registry
from thinc.api import Model

from .. import iris
from ..evaluation.prf import prf
from ..extensions import LINKS
from ..iris import DEFAULT_BASE_IRI
from ..kb import KB, Candidate
from ..kge import KGEModel
from ..pipe import KgxPipe, check_get_examples, corpus_labels, default_model
from .graph import LinkingGraph
from .model import HAS_KGE_VECTOR, N_FEATURES, SCALAR_PARAMS, CandidateBatch

DEFAULT_LINKER_MODEL = default_model(
    """
[model]
@architectures = "kgx.EntityLinker.v1"
"""
)
GRAPH_FOLDER = "graph"
NIL_IRI = ""  # the target of a mention playing NIL (see ``nil_simulation``)


@Language.factory(
    "kgx_entity_linker",
    assigns=["token.ent_kb_id", f"doc._.{LINKS}"],
    default_config={
        "model": DEFAULT_LINKER_MODEL,
        "n_candidates": 10,
        "fuzzy": True,
        "nil_threshold": 0.5,
        "kge_weight": 1.0,
        "kge_degree_half": 0.0,
        "use_kge": True,
        "use_text_vectors": True,
        "coherence_partners": 4,
        "coherence_candidates": 3,
        "coherence_floor": 0.0,
        "lr_scale": 20.0,
        "nil_simulation": 0.1,
        "unseen_simulation": None,
        "nil_base_iri": DEFAULT_BASE_IRI,
        "scorer": {"@scorers": "kgx.linker_scorer.v1"},
    },
    default_score_weights={"el_micro_f": 1.0, "el_accuracy": 0.0, "el_micro_p": 0.0, "el_micro_r": 0.0},
)
def make_entity_linker(
    nlp: Language,
    name: str,
    model: Model,
    n_candidates: int,
    fuzzy: bool,
    nil_threshold: float,
    kge_weight: float,
    kge_degree_half: float,
    use_kge: bool,
    use_text_vectors: bool,
    coherence_partners: int,
    coherence_candidates: int,
    coherence_floor: float,
    lr_scale: float,
    nil_simulation: float,
    unseen_simulation: Optional[float],
    nil_base_iri: str,
    scorer: Optional[Callable],
) -> "EntityLinker":
    """n_candidates: candidates per mention from the alias index (``fuzzy``: also by
        character trigrams, for typos and variants).
    nil_threshold: a mention whose best candidate's probability is below this is NIL.
    kge_weight, kge_degree_half: at inference, a candidate's KGE terms (its context's match
        with its KGE vector, its coherence) count kge_weight · d / (d + kge_degree_half), d
        its degree in the KB (the triples that trained its vector). Training counts them
        whole: it meets only entities whose facts (its own Doc's among them) the KGE has
        seen, while an open world brings entities it knows by a triple or two. Choose them
        with nil_threshold on a dev split whose KB leaves some entities out, as the world
        will (``bench/linker_webnlg.py``); 1 and 0 (the defaults) keep training's weights.
    use_kge: score with the KGE (context projected into the KGE space, coherence); off,
        the linker is text-only: alias prior, string similarity, types, label vectors.
    use_text_vectors: compare the mention's context with the encoder vector of each
        entity's label (computed once, at initialisation).
    coherence_partners, coherence_candidates: a candidate's coherence is measured against
        the top ``coherence_candidates`` candidates of its ``coherence_partners`` nearest
        mentions, so a Doc with many entities stays linear in their number.
    coherence_floor: a pair's standardised KGE plausibility is raised to at least this
        (and 0 is "not compared"): at 0 coherence can only add. An entity the KG knows by
        a triple or two has a barely trained vector whose pairs score below the random
        mean; a floor below 0 lets that pull it under NIL (WebNLG's open test: 27 of the
        30 mentions that the text-only linker alone got right, at -3).
    lr_scale: the learning rate of the head's feature weights, coherence weight and NIL
        bias is the optimizer's times this: a few scales that must move far from zero,
        further than an encoder's fine-tuning learning rate would take them.
    nil_simulation: the share of training mentions whose entity is taken out of their
        candidates, to be learnt as NIL: a KB that covers all training mentions would
        otherwise never show the linker what a missing entity looks like. The choice
        hashes the mention and its text, so it is the same in every epoch and run.
    unseen_simulation: the share of training mentions whose entity plays one that the KG
        knows by name only (no triple, so no KGE vector and no coherence): its KGE vector
        is hidden. Distant supervision only ever labels entities that have triples, so
        without it the linker learns that an entity without a KGE vector is never right.
        None: the KB's own share of entities without a KGE vector.
    nil_base_iri: base of minted IRIs for NIL mentions (as ``kgx_rdf``'s ``base_iri``).
    """
    cfg = {
        "n_candidates": n_candidates,
        "fuzzy": fuzzy,
        "nil_threshold": nil_threshold,
        "kge_weight": kge_weight,
        "kge_degree_half": kge_degree_half,
        "use_kge": use_kge,
        "use_text_vectors": use_text_vectors,
        "coherence_partners": coherence_partners,
        "coherence_candidates": coherence_candidates,
        "coherence_floor": coherence_floor,
        "lr_scale": lr_scale,
        "nil_simulation": nil_simulation,
        "unseen_simulation": unseen_simulation,
        "nil_base_iri": nil_base_iri,
    }
    return EntityLinker(nlp.vocab, model, name, scorer=scorer, cfg=cfg)


class Mention:
    """A mention to link: its span and its candidates (best first by the alias index)."""

    def __init__(self, span: Span, candidates: List[Candidate]):
        self.span = span
        self.candidates = candidates


class EntityLinker(KgxPipe):
    """Chooses, for every entity of ``doc.ents``, one KB entity or NIL.

    Writes ``ent.kb_id_`` (the KB IRI, or the minted IRI of a NIL mention) and
    ``doc._.kgx_links``: ``{"start", "end", "iri", "score", "nil"}`` per entity, score being
    the probability of the decision (of the chosen candidate, or of NIL).
    ``cfg["type_agreement"]``: NER label → {rdf:type IRI: P(type | label)} from training.
    """

    def __init__(self, vocab, model: Model, name: str, *, scorer: Optional[Callable], cfg: dict):
        super().__init__(vocab, model, name, scorer, {**cfg, "type_agreement": {}})
        self.graph: Optional[LinkingGraph] = None

    # -- candidates and features ----------------------------------------------------------

    def mentions(self, spans: Iterable[Span]) -> List[Mention]:
        self._require_graph()
        k, fuzzy = self.cfg["n_candidates"], self.cfg["fuzzy"]
        return [Mention(span, list(self.graph.candidates(span.text, k, fuzzy))) for span in spans]

    def batch(
        self, docs: Sequence[Doc], mentions: List[List[Mention]], unseen: Sequence[int] = (), gated: bool = False
    ) -> CandidateBatch:
        """The model's input for these mentions (see ``CandidateBatch``).

        unseen: flat candidate rows whose entity plays one without a KGE vector (no KGE
            vector, no coherence either way).
        gated: weigh each candidate's KGE vector and its coherence pairs by ``kge_gate``
            (inference)."""
        graph = self.graph
        rows, owner, features, entities = [], [], [], []
        type_scores = {}  # (NER label, entity) → the type features, once per batch
        for d, doc_mentions in enumerate(mentions):
            for mention in doc_mentions:
                owner.extend([len(rows)] * len(mention.candidates))
                rows.append((d, mention.span.start, mention.span.end))
                label = mention.span.label_
                for rank, cand in enumerate(mention.candidates):
                    key = (label, cand.entity)
                    if key not in type_scores:
                        type_scores[key] = self._type_features(label, cand.entity)
                    features.append(
                        (cand.score, cand.prior, cand.exact, cand.normalised, 1.0 / (1 + rank), *type_scores[key], 0.0, 1.0)
                    )
                    entities.append(cand.entity)
        entities = numpy.array(entities, dtype="int64")
        n_c = len(entities)
        use_kge = self.cfg["use_kge"] and graph.kge is not None
        kge = graph.kge_vectors[entities] if use_kge else numpy.zeros((n_c, graph.kge_width), "float32")
        if self.cfg["use_text_vectors"] and graph.text_vectors is not None:
            text = graph.text_vectors[entities]
        else:
            text = numpy.zeros((n_c, graph.text_width), "float32")
        features = numpy.array(features, dtype="float32").reshape(n_c, N_FEATURES)
        if use_kge:
            features[:, HAS_KGE_VECTOR] = graph.kge_rows[entities] >= 0
            pairs = self._coherence_pairs(mentions)
            plausibility = graph.plausibility(
                entities[pairs[:, 0]], entities[pairs[:, 1]], floor=self.cfg["coherence_floor"]
            )
            if len(unseen):
                unseen = numpy.asarray(unseen, dtype="int64")
                kge[unseen] = 0.0
                features[unseen, HAS_KGE_VECTOR] = 0.0
                plausibility[numpy.isin(pairs, unseen).any(1)] = 0.0
            if gated:
                gate = self.kge_gate(entities)
                kge *= gate[:, None]
                plausibility *= gate[pairs[:, 0]]  # a's coherence: gate(a) times what it was
        else:
            pairs, plausibility = numpy.zeros((0, 2), "int64"), numpy.zeros((0,), "float32")
        return CandidateBatch(
            numpy.array(rows, dtype="int64").reshape(-1, 3), numpy.array(owner, dtype="int64"),
            features, kge, text, pairs, plausibility,
        )

    def kge_gate(self, entities: numpy.ndarray) -> numpy.ndarray:
        """kge_weight · d / (d + kge_degree_half) per KB entity id, d its degree (see the
        factory); kge_weight where kge_degree_half is 0. shape (n,), float32."""
        weight, half = self.cfg["kge_weight"], self.cfg["kge_degree_half"]
        if not half:
            return numpy.full(len(entities), weight, dtype="float32")
        degrees = self.graph.degrees[entities]
        return (weight * degrees / (degrees + half)).astype("float32")

    def _type_features(self, label: str, entity: int) -> Tuple[float, float]:
        """Two columns of ``model.FEATURES``: type agreement (the best P(type | NER label)
        over the entity's types) and whether the entity has types. The row's others:
        alias similarity, prior, exact label, normalised alias, 1/(1 + rank), then has a
        KGE vector (set in ``batch``) and bias."""
        agreement = self.cfg["type_agreement"].get(label, {})
        types = self.graph.kb.types_of(entity)
        return max((agreement.get(t, 0.0) for t in types), default=0.0), float(bool(types))

    def _coherence_pairs(self, mentions: List[List[Mention]]) -> numpy.ndarray:
        """The candidate pairs (a, b) whose KGE plausibility is a's coherence: b is one of
        the top ``coherence_candidates`` candidates of one of the ``coherence_partners``
        mentions nearest to a's in its Doc. shape (n_p, 2), rows of the flat candidates."""
        partners = [numpy.zeros((0, 2), "int64")]  # (mention, partner mention) rows
        offset = 0
        for doc_mentions in mentions:
            positions = numpy.array([m.span.start for m in doc_mentions], dtype="int64")
            nearest = nearest_mentions(positions, self.cfg["coherence_partners"])
            mention = numpy.repeat(numpy.arange(len(positions)), nearest.shape[1])
            partners.append(offset + numpy.stack([mention, nearest.ravel()], 1))
            offset += len(doc_mentions)
        i, j = numpy.concatenate(partners).T
        sizes = numpy.array([len(m.candidates) for doc_mentions in mentions for m in doc_mentions], dtype="int64")
        starts = numpy.cumsum(sizes) - sizes
        n_a, n_b = sizes[i], numpy.minimum(sizes[j], self.cfg["coherence_candidates"])
        per_partner = n_a * n_b
        which = numpy.repeat(numpy.arange(len(i)), per_partner)  # each pair's (i, j) row
        within = numpy.arange(per_partner.sum()) - numpy.repeat(numpy.cumsum(per_partner) - per_partner, per_partner)
        a = starts[i][which] + within // n_b[which]
        b = starts[j][which] + within % n_b[which]
        return numpy.stack([a, b], 1)

    # -- inference ------------------------------------------------------------------------

    def predict(self, docs: Iterable[Doc]) -> List[List[Tuple[Mention, numpy.ndarray]]]:
        """Per Doc, per entity: its mention and the probabilities of its candidates then NIL."""
        docs = list(docs)
        mentions = [self.mentions(doc.ents) for doc in docs]
        if not sum(len(m) for m in mentions):
            return [[] for _ in docs]
        batch = self.batch(docs, mentions, gated=True)
        scores = self.model.ops.to_numpy(self.model.predict((docs, batch)))
        probs = mention_softmax(scores, batch.owner, len(batch.mentions))
        out, row = [], 0
        for doc_mentions in mentions:
            out.append(list(zip(doc_mentions, probs[row : row + len(doc_mentions)])))
            row += len(doc_mentions)
        return out

    def set_annotations(self, docs: Iterable[Doc], predictions) -> None:
        nil_base = iris.base(self.cfg["nil_base_iri"])
        for doc, doc_predictions in zip(docs, predictions):
            records, ents = [], list(doc.ents)
            by_start = {(e.start, e.end): i for i, e in enumerate(ents)}
            for mention, probs in doc_predictions:
                span = mention.span
                best = decide(probs, self.cfg["nil_threshold"])
                if best is not None:
                    iri, score, nil = mention.candidates[best].iri, float(probs[best]), False
                else:
                    iri, score, nil = iris.entity_iri(nil_base, span.text, span.label_), float(probs[-1]), True
                records.append({"start": span.start, "end": span.end, "iri": iri, "score": score, "nil": nil})
                ents[by_start[(span.start, span.end)]] = Span(doc, span.start, span.end, label=span.label, kb_id=iri)
            doc.ents = ents
            doc._.set(LINKS, records)

    # -- training -------------------------------------------------------------------------

    def learn(self, examples: List[Example]) -> Optional[float]:
        docs = [eg.predicted for eg in examples]
        mentions, targets, unseen = [], [], []
        unseen_rate = self._unseen_rate()
        n_candidates = 0
        for eg in examples:
            doc_mentions = []
            for span, iri in gold_links(eg):
                mention = self.mentions([span])[0]
                if simulated(span, self.cfg["nil_simulation"]):
                    mention.candidates = [c for c in mention.candidates if c.iri != iri]
                    iri = NIL_IRI
                target = self._target(mention, iri)
                if target is not None:
                    if target < len(mention.candidates) and simulated(span, unseen_rate, salt="unseen"):
                        unseen.append(n_candidates + target)
                    doc_mentions.append(mention)
                    targets.append(target)
                    n_candidates += len(mention.candidates)
            mentions.append(doc_mentions)
        if not targets:
            return None
        batch = self.batch(docs, mentions, unseen)
        scores, backprop = self.model.begin_update((docs, batch))
        scores = self.model.ops.to_numpy(scores)
        loss, d_scores = mention_cross_entropy(scores, batch.owner, numpy.array(targets))
        backprop(self.model.ops.asarray1f(d_scores))
        return loss

    def _unseen_rate(self) -> float:
        """``unseen_simulation``, or (None) the KB's share of entities without a KGE vector."""
        rate = self.cfg.get("unseen_simulation")
        return rate if rate is not None else self.graph.share_without_kge

    def _target(self, mention: Mention, iri: str) -> Optional[int]:
        """The gold candidate's index; len(candidates) for NIL (an IRI not in the KB);
        None when the gold entity is in the KB but not among the candidates."""
        for i, cand in enumerate(mention.candidates):
            if cand.iri == iri:
                return i
        if iri == NIL_IRI or self.graph.kb.entity_id(iri) is None:
            return len(mention.candidates)
        return None

    def lr_scale(self, node, name: str) -> float:
        """The head's scalar weights (``model.SCALAR_PARAMS``) learn at ``cfg["lr_scale"]``
        times the rate."""
        return self.cfg["lr_scale"] if node is self.model and name in SCALAR_PARAMS else 1.0

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        kb: Optional[str] = None,
        kge: Optional[str] = None,
    ) -> None:
        """kb: a KB folder (``kgx kb build``); kge: a KGE model folder trained on the same
        graph (``kgx kge train``), needed when ``use_kge``."""
        check_get_examples(get_examples, "EntityLinker.initialize")
        if kb is None:
            raise ValueError(f"{self.name}: initialize needs a KB: set [initialize.components.{self.name}] kb = <folder>")
        if self.cfg["use_kge"] and kge is None:
            raise ValueError(f"{self.name}: use_kge is on but no KGE model was given ([initialize.components.{self.name}] kge)")
        graph = LinkingGraph(KB.from_disk(kb), KGEModel.from_disk(kge) if kge and self.cfg["use_kge"] else None)
        graph.fit_plausibility()
        self.graph = graph
        self.cfg["type_agreement"] = self._type_agreement(get_examples)
        sample = list(islice(get_examples(), 10))
        docs = [eg.predicted for eg in sample]
        self.model.set_dim("nK", graph.kge_width)
        self.model.get_ref("tok2vec").initialize(X=docs)
        if self.cfg["use_text_vectors"]:
            graph.text_vectors = label_vectors(graph.kb, self.model.get_ref("tok2vec"), nlp, self.name)
        self.model.set_dim("nT", graph.text_width)
        mentions = [self.mentions(s for s, _ in gold_links(eg)) for eg in sample]
        self.model.initialize(X=(docs, self.batch(docs, mentions)))

    def _type_agreement(self, get_examples) -> Dict[str, Dict[str, float]]:
        """P(rdf:type | NER label) over the gold links to KB entities, add-one smoothed."""
        counts: Dict[str, Dict[str, float]] = {}
        kb = self.graph.kb
        for (label, iri), n in sorted(corpus_labels(get_examples).links.items()):
            entity = kb.entity_id(iri)
            if entity is not None:
                label_counts = counts.setdefault(label, {})
                for t in kb.types_of(entity):
                    label_counts[t] = label_counts.get(t, 0.0) + n
        agreement = {}
        for label, type_counts in counts.items():
            total = sum(type_counts.values()) + len(type_counts) + 1
            agreement[label] = {t: (c + 1) / total for t, c in sorted(type_counts.items())}
        return agreement

    def _require_graph(self) -> None:
        if self.graph is None:
            raise ValueError(f"{self.name}: no KB loaded: initialize the pipeline with a KB (and KGE) first")

    # -- serialisation --------------------------------------------------------------------

    def to_disk(self, path, *, exclude=tuple()) -> None:
        super().to_disk(path, exclude=exclude)
        self._require_graph()
        self.graph.to_disk(Path(path) / GRAPH_FOLDER)

    def from_disk(self, path, *, exclude=tuple()) -> "EntityLinker":
        path = Path(path)
        self.graph = LinkingGraph.from_disk(path / GRAPH_FOLDER)
        self.model.set_dim("nK", self.graph.kge_width)
        self.model.set_dim("nT", self.graph.text_width)
        return super().from_disk(path, exclude=exclude)


def decide(probs: numpy.ndarray, nil_threshold: float) -> Optional[int]:
    """The chosen candidate's index, or None for NIL: the most probable candidate, when its
    probability reaches ``nil_threshold`` and NIL's. probs: the candidates' then NIL's."""
    if len(probs) < 2:
        return None
    best = int(numpy.argmax(probs[:-1]))
    return best if probs[best] >= nil_threshold and probs[best] >= probs[-1] else None


def simulated(span: Span, rate: float, salt: str = "") -> bool:
    """Whether a training mention plays a part: NIL (``salt`` ""), an entity known by name
    only (``salt`` "unseen"). A hash of the salt, its Doc's text and its offsets below ``rate``."""
    key = f"{salt}{span.start_char}:{span.end_char}:{span.doc.text}".encode("utf-8")
    return zlib.crc32(key) / 2**32 < rate


def gold_links(eg: Example) -> List[Tuple[Span, str]]:
    """The reference's linked entities (``ent.kb_id_``) as spans of the predicted Doc."""
    links = []
    for ent in eg.reference.ents:
        if ent.kb_id_:
            span = eg.predicted.char_span(ent.start_char, ent.end_char, label=ent.label_, alignment_mode="expand")
            if span is not None:
                links.append((span, ent.kb_id_))
    return links


def label_vectors(kb: KB, tok2vec: Model, nlp: Optional[Language], name: str, batch_size: int = 256) -> numpy.ndarray:
    """Unit vectors of every entity's preferred label (its IRI when it has none), by the
    token encoder ``tok2vec`` after the pipeline's upstream component (the transformer
    ``name`` listens to), looked up among all components: ``spacy train`` initialises with
    the frozen ones (a sourced transformer) disabled. shape (n_entities, d)."""
    upstream = None
    if nlp is not None:
        upstream = next(
            (proc for _, proc in nlp.components if name in getattr(proc, "listener_map", {})), None
        )
    make_doc = nlp.make_doc if nlp is not None else None
    vectors = []
    for begin in range(0, len(kb), batch_size):
        texts = [kb.label(e) or kb.iri(e) for e in range(begin, min(begin + batch_size, len(kb)))]
        docs = [make_doc(text) for text in texts]
        if upstream is not None:
            docs = list(upstream.pipe(docs))
        for v in tok2vec.predict(docs):
            v = tok2vec.ops.to_numpy(v)
            vectors.append(v.mean(0) if len(v) else numpy.zeros(v.shape[1], "float32"))
    matrix = numpy.array(vectors, dtype="float32")
    return matrix / numpy.maximum(numpy.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def nearest_mentions(positions: numpy.ndarray, n: int, rows_per_chunk: int = 1024) -> numpy.ndarray:
    """Per mention, the ``n`` other mentions nearest to it by token position, nearest
    first (ties: the lower index first). positions: shape (m,). RETURNS: (m, min(n, m - 1))."""
    m = len(positions)
    nearest = numpy.zeros((m, max(0, min(n, m - 1))), dtype="int64")
    for begin in range(0, m, rows_per_chunk):  # (chunk, m) distances: memory stays bounded
        rows = numpy.arange(begin, min(begin + rows_per_chunk, m))
        distance = numpy.abs(positions[rows, None] - positions[None, :])
        distance[numpy.arange(len(rows)), rows] = -1  # itself first, then dropped
        nearest[rows] = numpy.argsort(distance, axis=1, kind="stable")[:, 1 : n + 1]
    return nearest


def mention_softmax(scores: numpy.ndarray, owner: numpy.ndarray, n_mentions: int) -> List[numpy.ndarray]:
    """Per mention, the softmax over its candidates' scores then its NIL score.

    scores: shape (n_c + n_m,) as the model returns them. RETURNS: n_m arrays of n_i + 1.
    """
    n_c = len(owner)
    cand, nil = scores[:n_c], scores[n_c:]
    out = []
    bounds = numpy.searchsorted(owner, numpy.arange(n_mentions + 1))
    for m in range(n_mentions):
        row = numpy.append(cand[bounds[m] : bounds[m + 1]], nil[m])
        e = numpy.exp(row - row.max())
        out.append(e / e.sum())
    return out


def mention_cross_entropy(scores: numpy.ndarray, owner: numpy.ndarray, targets: numpy.ndarray):
    """-log P(target) under ``mention_softmax``, summed over mentions; and the gradient.

    targets: per mention, the gold candidate's index, or its number of candidates for NIL.
    """
    n_m = len(targets)
    probs = mention_softmax(scores, owner, n_m)
    bounds = numpy.searchsorted(owner, numpy.arange(n_m + 1))
    d_scores = numpy.zeros_like(scores)
    n_c = len(owner)
    loss = 0.0
    for m, (p, target) in enumerate(zip(probs, targets)):
        loss -= float(numpy.log(p[target] + 1e-9))
        grad = p.copy()
        grad[target] -= 1.0
        d_scores[bounds[m] : bounds[m + 1]] = grad[:-1]
        d_scores[n_c + m] = grad[-1]
    return loss, d_scores


# -- scoring ------------------------------------------------------------------------------


def link_keys(doc: Doc) -> Dict[Tuple[int, int], str]:
    """(start_char, end_char) → IRI of every linked entity; a NIL link's IRI is "NIL"
    (``doc._.kgx_links`` says which links are NIL; gold Docs mark them the same way)."""
    nil = {(r["start"], r["end"]) for r in doc._.get(LINKS) if r.get("nil")}
    keys = {}
    for ent in doc.ents:
        if ent.kb_id_:
            is_nil = (ent.start, ent.end) in nil
            keys[(ent.start_char, ent.end_char)] = "NIL" if is_nil else ent.kb_id_
    return keys


def linker_score(examples: Iterable[Example], **kwargs) -> Dict[str, Any]:
    """``el_micro_p/r/f``: (span, IRI) pairs, NIL matching NIL; ``el_accuracy``: the share of
    gold links whose span was predicted that got the right IRI (or NIL)."""
    tp = fp = fn = right = seen = 0
    for eg in examples:
        gold, pred = link_keys(eg.reference), link_keys(eg.predicted)
        tp += len(set(gold.items()) & set(pred.items()))
        fp += len(set(pred.items()) - set(gold.items()))
        fn += len(set(gold.items()) - set(pred.items()))
        for span, iri in gold.items():
            if span in pred:
                seen += 1
                right += pred[span] == iri
    micro = prf(tp, fp, fn)
    return {
        "el_micro_p": micro["p"], "el_micro_r": micro["r"], "el_micro_f": micro["f"],
        "el_accuracy": right / seen if seen else 0.0,
    }


@registry.scorers("kgx.linker_scorer.v1")
def make_linker_scorer() -> Callable:
    return linker_score
