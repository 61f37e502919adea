"""``kgx_relation_classifier``: multi-label relations between entity pairs, calibrated scores."""

import re
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats2d

from ..evaluation.prf import annotated, prf
from ..extensions import LINKS, RELATIONS
from ..iris import encode_segment
from ..kge import Plausibility
from ..ml.losses import multilabel_loss, sigmoid
from ..ml.pairs import pair_arrays, set_n_types, type_ids
from ..pipe import EntityPairPipe, check_get_examples, corpus_labels, default_model
from .candidates import PairGenerator

DEFAULT_REL_MODEL = default_model(
    """
[model]
@architectures = "kgx.PairClassifier.v1"
hidden_width = 256
dropout = 0.1
"""
)

Pair = Tuple[Span, Span]
KGE_FOLDER = "kge"


@Language.factory(
    "kgx_relation_classifier",
    assigns=[f"doc._.{RELATIONS}"],
    default_config={
        "model": DEFAULT_REL_MODEL,
        "candidates": {"@misc": "kgx.entity_pair_candidates.v1", "max_distance": 100, "max_pairs": 1000},
        "threshold": 0.5,
        "max_labels_per_pair": 0,
        "attach_threshold": None,
        "constrain_types": False,
        "train_on_predicted_entities": False,
        "learn_rate_scale": 10.0,
        "kge_weight": 0.0,
        "scorer": {"@scorers": "kgx.relation_scorer.v1"},
    },
    default_score_weights={"rel_micro_f": 1.0, "rel_micro_p": 0.0, "rel_micro_r": 0.0, "rel_f_per_type": None},
)
def make_relation_classifier(
    nlp: Language,
    name: str,
    model: Model,
    candidates: PairGenerator,
    threshold: float,
    max_labels_per_pair: int,
    attach_threshold: Optional[float],
    constrain_types: bool,
    train_on_predicted_entities: bool,
    learn_rate_scale: float,
    kge_weight: float,
    scorer: Optional[Callable],
) -> "RelationClassifier":
    """threshold: default decision threshold on the calibrated probability, per label
        overridable by ``kgx calibrate`` (stored in the component's cfg).
    max_labels_per_pair: at most this many labels per (head, tail) pair, the most probable
        of those over their thresholds (0: no cap).
    attach_threshold: an entity that joins no predicted relation takes its single most
        probable one (over all its pairs and labels) when that probability reaches this,
        even under the label's threshold (null: off). For texts where every entity is
        part of some fact, as in WebNLG.
    constrain_types: predict a label only between entity types it joined in the training
        data (head type, tail type): an empirical domain and range.
    train_on_predicted_entities: also train on pairs of the entities an earlier, annotating
        NER predicted (negatives the classifier will meet at inference), beside the gold ones.
    learn_rate_scale: the head's own weights learn at this times the optimizer's rate (the
        shared encoder at the rate itself).
    kge_weight: at inference, where both entities of a pair are linked (``doc._.kgx_links``,
        so the linker runs first) to entities of the KGE given at initialisation, each
        label's calibrated logit gains kge_weight · z⁺, z the KGE's standardised plausibility
        of (head, label's predicate, tail) and z⁺ its positive part: the KG can vouch for a
        fact, never veto one (a sparse KG's vectors are unreliable below the random mean).
        0 (the default) is off: on WebNLG dev every weight tried lowered exact F1 (the
        graph holds facts a text does not state); choose it on your dev set
        (``bench/webnlg_decision.py`` does on WebNLG's).
    """
    return RelationClassifier(
        nlp.vocab,
        model,
        name,
        candidates=candidates,
        threshold=threshold,
        max_labels_per_pair=max_labels_per_pair,
        attach_threshold=attach_threshold,
        constrain_types=constrain_types,
        train_on_predicted_entities=train_on_predicted_entities,
        learn_rate_scale=learn_rate_scale,
        kge_weight=kge_weight,
        scorer=scorer,
    )


class RelationClassifier(EntityPairPipe):
    """Scores every candidate (head, tail) entity pair for every relation label.

    Writes ``doc._.kgx_relations``: one record per pair and label that ``decide`` keeps
    (by default: whose calibrated probability reaches the label's threshold).

    ``plausibility``: the KGE (``initialize(kge=…)``) that vouches for linked pairs' facts;
    ``cfg["kge_relations"]``: label → the KGE's predicate IRI (``match_predicates``).
    """

    def __init__(
        self,
        vocab,
        model: Model,
        name: str,
        *,
        candidates: PairGenerator,
        threshold: float,
        max_labels_per_pair: int,
        attach_threshold: Optional[float],
        constrain_types: bool,
        train_on_predicted_entities: bool,
        learn_rate_scale: float,
        kge_weight: float,
        scorer: Optional[Callable],
    ):
        # calibration: label → (a, b); probability = sigmoid(a * logit + b)
        # signatures: label → the [head type, tail type] pairs it joined in the training data
        cfg = {
            "entity_labels": [], "threshold": threshold, "thresholds": {}, "calibration": {},
            "max_labels_per_pair": max_labels_per_pair, "attach_threshold": attach_threshold,
            "learn_rate_scale": learn_rate_scale, "constrain_types": constrain_types, "signatures": {},
            "kge_weight": kge_weight, "kge_relations": {},
        }
        super().__init__(vocab, model, name, scorer, cfg)
        self.candidates = candidates
        self.train_on_predicted_entities = train_on_predicted_entities
        self.plausibility: Optional[Plausibility] = None

    @property
    def label_data(self) -> dict:
        return {**super().label_data, "signatures": self.cfg["signatures"]}

    # -- inference ----------------------------------------------------------------------

    def predict(self, docs: Iterable[Doc]) -> List[Tuple[List[Pair], numpy.ndarray]]:
        """Per Doc: its candidate pairs and their probabilities, shape (n_pairs, n_labels)."""
        docs = list(docs)
        pairs = [self.candidates(doc.ents) for doc in docs]
        probs = self.pair_probabilities(docs, pairs)
        return list(zip(pairs, probs))

    def pair_probabilities(self, docs: List[Doc], pairs: List[List[Pair]]) -> List[numpy.ndarray]:
        """Calibrated probabilities for given pairs, zero where ``type_mask`` rules the label
        out; shape (n_pairs, n_labels) per Doc."""
        a, b = self._calibration()
        signatures = self._signatures()
        return [
            sigmoid(logits * a + b + self.kge_prior(doc, p)) * self.type_mask(p, signatures)
            for doc, logits, p in zip(docs, self.pair_logits(docs, pairs), pairs)
        ]

    def kge_prior(self, doc: Doc, pairs: List[Pair]) -> numpy.ndarray:
        """kge_weight · z⁺ (see the factory) per pair and label, 0 where a pair's end is not
        linked, a label has no KGE predicate, or the KGE does not know an IRI.
        shape (n_pairs, n_labels)."""
        prior = numpy.zeros((len(pairs), len(self.labels)), dtype="float32")
        weight, predicates = self.cfg["kge_weight"], self.cfg["kge_relations"]
        if not weight or self.plausibility is None or not pairs:
            return prior
        iris = {(link["start"], link["end"]): link["iri"] for link in doc._.get(LINKS) if not link.get("nil")}
        rows = [i for i, (h, t) in enumerate(pairs) if (h.start, h.end) in iris and (t.start, t.end) in iris]
        labels = self.labels
        columns = [k for k, label in enumerate(labels) if label in predicates]
        if not rows or not columns:
            return prior
        triples = [
            (iris[(pairs[i][0].start, pairs[i][0].end)], predicates[labels[k]], iris[(pairs[i][1].start, pairs[i][1].end)])
            for i in rows for k in columns
        ]
        z = self.plausibility.standardised(triples).reshape(len(rows), len(columns))
        prior[numpy.ix_(rows, columns)] = weight * numpy.clip(numpy.nan_to_num(z, nan=0.0), 0.0, None)
        return prior

    def type_mask(self, pairs: List[Pair], signatures: Optional[Dict] = None) -> numpy.ndarray:
        """1 where a label may join a pair's entity types, else 0; shape (n_pairs, n_labels).
        With ``constrain_types``: the (head type, tail type) pairs the label joined in the
        training data (a label with none recorded may join any); all ones without.
        signatures: ``_signatures()``, when the caller has it for a whole batch."""
        signatures = self._signatures() if signatures is None else signatures
        mask = numpy.ones((len(pairs), len(self.labels)), dtype="float32")
        if not signatures or not pairs:
            return mask
        types = [(head.label_, tail.label_) for head, tail in pairs]
        for key in set(types):
            mask[[i for i, t in enumerate(types) if t == key]] = signatures.get(key, signatures[None])
        return mask

    def _signatures(self) -> Dict:
        """(head type, tail type) → the 0/1 row of labels allowed between them, and None →
        the row for type pairs no label recorded; {} without ``constrain_types``."""
        if not self.cfg["constrain_types"]:
            return {}
        labels = self.labels
        allowed = [{tuple(types) for types in self.cfg["signatures"].get(label, ())} for label in labels]
        unconstrained = numpy.array([not a for a in allowed], dtype="float32")
        rows = {None: unconstrained}
        for k, pairs in enumerate(allowed):
            for key in pairs:
                rows.setdefault(key, unconstrained.copy())[k] = 1.0
        return rows

    def pair_logits(self, docs: List[Doc], pairs: List[List[Pair]]) -> List[numpy.ndarray]:
        """Raw (uncalibrated) logits for given pairs; shape (n_pairs, n_labels) per Doc."""
        if not sum(len(p) for p in pairs):
            return [numpy.zeros((0, len(self.labels)), dtype="float32") for _ in docs]
        logits = self.model.ops.to_numpy(self.model.predict((docs, self._pair_arrays(pairs))))
        return numpy.split(logits, numpy.cumsum([len(p) for p in pairs])[:-1])

    def set_annotations(self, docs: Iterable[Doc], predictions) -> None:
        labels, thresholds = self.labels, self._thresholds()
        for doc, (pairs, probs) in zip(docs, predictions):
            records = []
            for i, k in self.decide(pairs, probs, thresholds):
                head, tail = pairs[i]
                records.append(
                    {
                        "head": [head.start, head.end],
                        "tail": [tail.start, tail.end],
                        "label": labels[k],
                        "score": float(probs[i, k]),
                    }
                )
            doc._.set(RELATIONS, records)

    def decide(
        self, pairs: List[Pair], probs: numpy.ndarray, thresholds: Optional[numpy.ndarray] = None
    ) -> List[Tuple[int, int]]:
        """The (pair row, label column) decisions of one Doc, in row order: labels over
        their thresholds, at most ``max_labels_per_pair`` per pair, then one relation for
        each entity left without any when it reaches ``attach_threshold``.
        thresholds: ``_thresholds()``, when the caller has it for a whole batch."""
        over = probs >= (self._thresholds() if thresholds is None else thresholds)
        cap = self.cfg.get("max_labels_per_pair", 0)
        if cap and len(probs):
            ranks = numpy.argsort(numpy.argsort(-probs, axis=1), axis=1)
            over &= ranks < cap
        chosen = set(zip(*numpy.nonzero(over)))
        attach = self.cfg.get("attach_threshold")
        if attach is not None and len(probs):
            spans = [((h.start, h.end), (t.start, t.end)) for h, t in pairs]
            joined = {span for i, _ in chosen for span in spans[i]}
            best = probs.argmax(axis=1)
            # each row's best label, most probable first: an orphan takes the first row it is in
            for i in sorted(range(len(pairs)), key=lambda i: -probs[i, best[i]]):
                if probs[i, best[i]] < attach:
                    break
                if any(span not in joined for span in spans[i]):
                    chosen.add((i, int(best[i])))
                    joined.update(spans[i])
        return sorted((int(i), int(k)) for i, k in chosen)

    def _thresholds(self) -> numpy.ndarray:
        thresholds, default = self.cfg["thresholds"], self.cfg["threshold"]
        return numpy.array([thresholds.get(label, default) for label in self.labels], dtype="float32")

    def _calibration(self) -> Tuple[numpy.ndarray, numpy.ndarray]:
        calibration = self.cfg["calibration"]
        ab = [calibration.get(label, (1.0, 0.0)) for label in self.labels]
        a, b = numpy.array(ab, dtype="float32").reshape(-1, 2).T
        return a, b

    # -- training -----------------------------------------------------------------------

    def learn(self, examples: List[Example]) -> Optional[float]:
        pairs = [self._training_pairs(eg) for eg in examples]
        if not sum(len(p) for p in pairs):
            return None
        docs = [eg.predicted for eg in examples]
        logits, backprop = self.model.begin_update((docs, self._pair_arrays(pairs)))
        loss, d_logits = self.get_loss(examples, logits, pairs)
        backprop(d_logits)
        return loss

    def get_loss(self, examples: Sequence[Example], logits: Floats2d, pairs: List[List[Pair]]):
        """Binary cross-entropy per pair and label, summed."""
        truth = numpy.concatenate([self._gold_matrix(eg, p) for eg, p in zip(examples, pairs)])
        return multilabel_loss(logits, truth)  # on the logits' device

    def _training_pairs(self, eg: Example) -> List[Pair]:
        """Candidates over the gold entities (mapped onto the predicted tokens), plus the
        predicted entities when ``train_on_predicted_entities``."""
        spans = {}
        for ent in eg.reference.ents:
            span = eg.predicted.char_span(ent.start_char, ent.end_char, label=ent.label_, alignment_mode="expand")
            if span is not None:
                spans[(span.start, span.end)] = span
        if self.train_on_predicted_entities:
            for ent in eg.predicted.ents:
                spans.setdefault((ent.start, ent.end), ent)
        return self.candidates(list(spans.values()))

    def _gold_matrix(self, eg: Example, pairs: List[Pair]) -> numpy.ndarray:
        """1.0 where the reference has relation k between the pair's spans (by characters)."""
        gold = {}
        index = {label: k for k, label in enumerate(self.labels)}
        for rel in eg.reference._.get(RELATIONS):
            head = eg.reference[rel["head"][0] : rel["head"][1]]
            tail = eg.reference[rel["tail"][0] : rel["tail"][1]]
            key = (head.start_char, head.end_char, tail.start_char, tail.end_char)
            if rel["label"] in index:
                gold.setdefault(key, set()).add(index[rel["label"]])
        truth = numpy.zeros((len(pairs), len(self.labels)), dtype="float32")
        for i, (head, tail) in enumerate(pairs):
            for k in gold.get((head.start_char, head.end_char, tail.start_char, tail.end_char), ()):
                truth[i, k] = 1.0
        return truth

    def _pair_arrays(self, pairs: List[List[Pair]]) -> List[numpy.ndarray]:
        types = type_ids(self.cfg["entity_labels"])
        return pair_arrays(pairs, types, types)

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[dict] = None,
        kge: Optional[str] = None,
    ) -> None:
        """kge: a KGE model folder (``kgx kge train``) of the KG the linker links to: its
        plausibility vouches for linked facts (``kge_weight``); its predicates are matched
        to the labels as ``match_predicates`` says."""
        check_get_examples(get_examples, "RelationClassifier.initialize")
        self._init_labels(get_examples, labels, RELATIONS)
        if labels is not None:
            self.cfg["signatures"] = dict(labels.get("signatures", {}))
        else:
            signatures = corpus_labels(get_examples).signatures
            self.cfg["signatures"] = {
                label: sorted(map(list, types), key=lambda pair: [t or "" for t in pair])  # a type may be None
                for label, types in sorted(signatures.items())
            }
        if kge is not None:
            self.use_kge(kge)
        set_n_types(self.model.get_ref("features"), len(self.cfg["entity_labels"]))
        self.model.get_ref("output_layer").set_dim("nO", len(self.labels))
        sample = list(islice(get_examples(), 10))
        docs = [eg.predicted for eg in sample]
        self.model.initialize(X=(docs, self._pair_arrays([self._training_pairs(eg) for eg in sample])))




    def use_kge(self, kge: Union[str, Path]) -> None:
        """Vouch for linked facts with this KGE model folder from now on (see ``initialize``)."""
        self.plausibility = Plausibility.from_disk(kge)
        self.cfg["kge_relations"] = match_predicates(self.labels, self.plausibility.factory.relations)

    def to_disk(self, path, *, exclude=tuple()) -> None:
        super().to_disk(path, exclude=exclude)
        if self.plausibility is not None:
            self.plausibility.model.to_disk(Path(path) / KGE_FOLDER)

    def from_disk(self, path, *, exclude=tuple()) -> "RelationClassifier":
        kge = Path(path) / KGE_FOLDER
        self.plausibility = Plausibility.from_disk(kge) if kge.is_dir() else None
        return super().from_disk(path, exclude=exclude)


def match_predicates(labels: Sequence[str], predicates: Sequence[str]) -> Dict[str, str]:
    """label → the one predicate IRI whose last segment (after ``/`` or ``#``) is the label
    as ``kgx_rdf`` names a predicate in its ``vocabulary`` (``encode_segment``); labels that
    match none or several are left out."""
    by_segment: Dict[str, List[str]] = {}
    for iri in predicates:
        by_segment.setdefault(re.split(r"[/#]", iri)[-1], []).append(iri)
    named = {label: by_segment.get(encode_segment(label), ()) for label in labels}
    return {label: iris[0] for label, iris in named.items() if len(iris) == 1}


# -- scoring ----------------------------------------------------------------------------


def relation_tuples(doc: Doc) -> set:
    """Strict relation keys: both spans (characters), both entity types, and the label."""
    types = {(e.start, e.end): e.label_ for e in doc.ents}
    keys = set()
    for rel in doc._.get(RELATIONS):
        head, tail = tuple(rel["head"]), tuple(rel["tail"])
        h, t = doc[head[0] : head[1]], doc[tail[0] : tail[1]]
        keys.add((h.start_char, h.end_char, types.get(head), t.start_char, t.end_char, types.get(tail), rel["label"]))
    return keys




def relation_score(examples: Iterable[Example], **kwargs) -> Dict[str, Any]:
    """Strict micro P/R/F (``rel_micro_p/r/f``) and per-label figures (``rel_f_per_type``)."""
    tp, fp, fn = {}, {}, {}
    for eg in examples:
        gold, pred = relation_tuples(eg.reference), annotated(relation_tuples(eg.predicted), eg.reference)
        for key in pred & gold:
            tp[key[-1]] = tp.get(key[-1], 0) + 1
        for key in pred - gold:
            fp[key[-1]] = fp.get(key[-1], 0) + 1
        for key in gold - pred:
            fn[key[-1]] = fn.get(key[-1], 0) + 1
    labels = sorted(set(tp) | set(fp) | set(fn))
    per_type = {label: prf(tp.get(label, 0), fp.get(label, 0), fn.get(label, 0)) for label in labels}
    micro = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return {"rel_micro_p": micro["p"], "rel_micro_r": micro["r"], "rel_micro_f": micro["f"], "rel_f_per_type": per_type}




@registry.scorers("kgx.relation_scorer.v1")
def make_relation_scorer() -> Callable:
    return relation_score
