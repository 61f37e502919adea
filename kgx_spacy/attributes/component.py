"""``kgx_attribute_tagger``: entity → literal attributes (dates, numbers, quantities, strings)."""

from itertools import islice
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example
from spacy.util import registry
from thinc.api import Model

from ..evaluation.prf import annotated, prf
from ..extensions import ATTRIBUTES
from ..literals import KINDS, normalize_value
from ..ml.losses import multilabel_loss, sigmoid
from ..ml.pairs import pair_arrays, set_n_types, type_ids
from ..ml.tagging import ScoredSpan, bio_tags, decode, tagging_loss
from ..pipe import EntityPairPipe, check_get_examples, default_model

DEFAULT_ATTRIBUTE_MODEL = default_model(
    """
[model]
@architectures = "kgx.AttributeTagger.v2"
hidden_width = 256
dropout = 0.1
"""
)

VALUES_SPANS_KEY = "kgx_values"


@Language.factory(
    "kgx_attribute_tagger",
    assigns=[f"doc._.{ATTRIBUTES}", "doc.spans"],
    default_config={
        "model": DEFAULT_ATTRIBUTE_MODEL,
        "value_kinds": {},
        "max_distance": 100,
        "threshold": 0.5,
        "spans_key": VALUES_SPANS_KEY,
        "learn_rate_scale": 10.0,
        "scorer": {"@scorers": "kgx.attribute_scorer.v1"},
    },
    default_score_weights={"attr_f": 1.0, "attr_p": 0.0, "attr_r": 0.0, "attr_f_per_type": None},
)
def make_attribute_tagger(
    nlp: Language,
    name: str,
    model: Model,
    value_kinds: Dict[str, str],
    max_distance: int,
    threshold: float,
    spans_key: str,
    learn_rate_scale: float,
    scorer: Optional[Callable],
) -> "AttributeTagger":
    """value_kinds: attribute → what its values hold (date, number, quantity, string), for
        the normaliser; attributes not listed are decided from the value text.
    max_distance: the most tokens between an entity and a value that can belong to it.
    threshold: the pair probability from which a value is attached to an entity.
    spans_key: where the value spans go (``doc.spans[spans_key]``, scores in its attrs).
    learn_rate_scale: the heads' own weights learn at this times the optimizer's rate (the
        shared encoder at the rate itself).
    """
    unknown = {kind for kind in value_kinds.values() if kind not in KINDS}
    if unknown:
        raise ValueError(f"{name}: unknown value kinds {sorted(unknown)}; expected {KINDS}")
    return AttributeTagger(
        nlp.vocab,
        model,
        name,
        lang=nlp.lang,
        value_kinds=dict(value_kinds),
        max_distance=max_distance,
        threshold=threshold,
        spans_key=spans_key,
        learn_rate_scale=learn_rate_scale,
        scorer=scorer,
    )


class AttributeTagger(EntityPairPipe):
    """Tags value spans (BIO over attribute labels), pairs each with the entities near it,
    and gives each (value, attribute) to the entity the pair head finds most probable,
    where it is confident enough.

    Writes ``doc._.kgx_attributes`` with the normalised literal of every value
    (``lexical``, ``datatype``, and ``lang`` for strings) and ``doc.spans[spans_key]``.
    """

    def __init__(
        self,
        vocab,
        model: Model,
        name: str,
        *,
        lang: str,
        value_kinds: Dict[str, str],
        max_distance: int,
        threshold: float,
        spans_key: str,
        learn_rate_scale: float,
        scorer: Optional[Callable],
    ):
        cfg = {"entity_labels": [], "threshold": threshold, "spans_key": spans_key, "learn_rate_scale": learn_rate_scale}
        super().__init__(vocab, model, name, scorer, cfg)
        self.lang = lang
        self.value_kinds = value_kinds
        self.max_distance = max_distance

    # -- inference ----------------------------------------------------------------------

    def predict(self, docs: Iterable[Doc]) -> List[Tuple[List[ScoredSpan], List[Tuple[Span, Span]], numpy.ndarray]]:
        """Per Doc: value spans, (entity, value) pairs, pair probabilities (n_pairs, n_labels)."""
        docs = list(docs)
        empty = numpy.zeros((0, len(self.labels)), dtype="float32")
        if not any(len(doc) for doc in docs):
            return [([], [], empty) for _ in docs]
        ops = self.model.ops
        vectors = self.model.get_ref("tok2vec").predict(docs)
        tag_logits = self.model.get_ref("value_tagger").predict(vectors)
        values = [decode(ops.to_numpy(s), len(self.labels)) for s in tag_logits]
        pairs = [
            self._pairs(doc.ents, [Span(doc, s, e, label=self.labels[k]) for s, e, k, _ in doc_values])
            for doc, doc_values in zip(docs, values)
        ]
        if not sum(len(p) for p in pairs):
            return [(v, p, empty) for v, p in zip(values, pairs)]
        logits = ops.to_numpy(self.model.get_ref("pair_head").predict((vectors, self._pair_arrays(pairs))))
        probs = numpy.split(sigmoid(logits), numpy.cumsum([len(p) for p in pairs])[:-1])
        return list(zip(values, pairs, probs))

    def set_annotations(self, docs: Iterable[Doc], predictions) -> None:
        threshold = self.cfg["threshold"]
        for doc, (values, pairs, probs) in zip(docs, predictions):
            spans = [Span(doc, s, e, label=self.labels[k]) for s, e, k, _ in values]
            group = SpanGroup(doc, name=self.cfg["spans_key"], spans=spans)
            group.attrs["scores"] = [score for *_, score in values]
            doc.spans[self.cfg["spans_key"]] = group
            # A value holds an attribute of one entity: of the entities it pairs with, the
            # most probable one above the threshold takes it.
            best: Dict[Tuple[int, int, int], Tuple[float, Span, Span]] = {}
            for (entity, value), row in zip(pairs, probs):
                for k in numpy.flatnonzero(row >= threshold):
                    key = (value.start, value.end, int(k))
                    if key not in best or row[k] > best[key][0]:
                        best[key] = (float(row[k]), entity, value)
            records = [self._record(entity, value, self.labels[k], score) for (_, _, k), (score, entity, value) in best.items()]
            doc._.set(ATTRIBUTES, records)

    def _record(self, entity: Span, value: Span, attribute: str, score: float) -> dict:
        literal = normalize_value(value.text, self.value_kinds.get(attribute), self.lang)
        record = {
            "entity": [entity.start, entity.end],
            "value": [value.start, value.end],
            "attribute": attribute,
            "score": score,
            "lexical": literal.lexical,
            "datatype": literal.datatype,
        }
        if literal.lang:
            record["lang"] = literal.lang
        return record

    def _pairs(self, entities, values) -> List[Tuple[Span, Span]]:
        """(entity, value) pairs within ``max_distance`` tokens, values not inside entities."""
        pairs = []
        for value in values:
            for entity in entities:
                if entity.start < value.end and value.start < entity.end:
                    continue
                gap = max(value.start - entity.end, entity.start - value.end)
                if gap <= self.max_distance:
                    pairs.append((entity, value))
        return pairs

    def _pair_arrays(self, pairs: List[List[Tuple[Span, Span]]]) -> List[numpy.ndarray]:
        return pair_arrays(pairs, type_ids(self.cfg["entity_labels"]), type_ids(self.labels))

    # -- training -----------------------------------------------------------------------

    def learn(self, examples: List[Example]) -> Optional[float]:
        if not any(len(eg.predicted) for eg in examples):
            return None
        gold = [self._gold(eg) for eg in examples]
        pairs = [g["pairs"] for g in gold]
        docs = [eg.predicted for eg in examples]
        (tag_logits, pair_logits), backprop = self.model.begin_update((docs, self._pair_arrays(pairs)))
        # the losses run on the logits' device
        tag_loss, d_tags = tagging_loss(tag_logits, [g["tags"] for g in gold], bio_tags(self.labels))
        truth = numpy.concatenate([g["truth"] for g in gold])
        pair_loss, d_pairs = multilabel_loss(pair_logits, truth)
        backprop((d_tags, d_pairs))
        return tag_loss + pair_loss

    def _gold(self, eg: Example) -> Dict[str, Any]:
        """Gold BIO value tags on the predicted tokens, gold (entity, value) pairs, targets.

        A value that carries two attributes is tagged with the first; its pairs still learn
        both labels.
        """
        predicted, reference = eg.predicted, eg.reference
        index = {label: k for k, label in enumerate(self.labels)}
        tags: List[Optional[str]] = ["O"] * len(predicted)
        values: Dict[Tuple[int, int], Span] = {}
        truth_of: Dict[Tuple[int, int, int, int], set] = {}
        for record in reference._.get(ATTRIBUTES):
            if record["attribute"] not in index:
                continue
            value = _on(predicted, reference[record["value"][0] : record["value"][1]], record["attribute"])
            entity = _on(predicted, reference[record["entity"][0] : record["entity"][1]], "")
            if value is None or entity is None:
                continue
            if (value.start, value.end) not in values:
                if all(tag == "O" for tag in tags[value.start : value.end]):
                    tags[value.start] = f"B-{value.label_}"
                    for i in range(value.start + 1, value.end):
                        tags[i] = f"I-{value.label_}"
                values[(value.start, value.end)] = value
            key = (entity.start, entity.end, value.start, value.end)
            truth_of.setdefault(key, set()).add(index[record["attribute"]])
        entities = {}
        for ent in reference.ents:
            span = _on(predicted, ent, ent.label_)
            if span is not None:
                entities[(span.start, span.end)] = span
        for (start, end, *_) in truth_of:
            entities.setdefault((start, end), predicted[start:end])
        pairs = self._pairs(list(entities.values()), list(values.values()))
        truth = numpy.zeros((len(pairs), len(self.labels)), dtype="float32")
        for i, (entity, value) in enumerate(pairs):
            for k in truth_of.get((entity.start, entity.end, value.start, value.end), ()):
                truth[i, k] = 1.0
        return {"tags": tags, "pairs": pairs, "truth": truth}

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[dict] = None,
    ) -> None:
        check_get_examples(get_examples, "AttributeTagger.initialize")
        self._init_labels(get_examples, labels, ATTRIBUTES)
        set_n_types(self.model.get_ref("features"), max(len(self.labels), len(self.cfg["entity_labels"])))
        self.model.get_ref("value_output").set_dim("nO", len(bio_tags(self.labels)))
        self.model.get_ref("pair_output").set_dim("nO", len(self.labels))
        sample = list(islice(get_examples(), 10))
        pairs = self._pair_arrays([self._gold(eg)["pairs"] for eg in sample])
        self.model.initialize(X=([eg.predicted for eg in sample], pairs))


def _on(doc: Doc, span: Span, label: str) -> Optional[Span]:
    """``span`` of another tokenisation of the same text, on ``doc``'s tokens."""
    return doc.char_span(span.start_char, span.end_char, label=label, alignment_mode="expand")


# -- scoring ----------------------------------------------------------------------------


def attribute_tuples(doc: Doc) -> set:
    """Keys that must all match: entity span (characters), attribute, normalised value."""
    keys = set()
    for record in doc._.get(ATTRIBUTES):
        entity = doc[record["entity"][0] : record["entity"][1]]
        keys.add((entity.start_char, entity.end_char, record["attribute"], record["lexical"], record["datatype"]))
    return keys


def attribute_score(examples: Iterable[Example], **kwargs) -> Dict[str, Any]:
    """Micro P/R/F (``attr_p/r/f``) and per attribute (``attr_f_per_type``)."""
    counts: Dict[str, List[int]] = {}
    for eg in examples:
        gold = attribute_tuples(eg.reference)
        pred = annotated(attribute_tuples(eg.predicted), eg.reference, label_at=2)
        for keys, slot in ((pred & gold, 0), (pred - gold, 1), (gold - pred, 2)):
            for key in keys:
                counts.setdefault(key[2], [0, 0, 0])[slot] += 1
    per_type = {label: prf(*c) for label, c in sorted(counts.items())}
    micro = prf(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return {"attr_p": micro["p"], "attr_r": micro["r"], "attr_f": micro["f"], "attr_f_per_type": per_type}


@registry.scorers("kgx.attribute_scorer.v1")
def make_attribute_scorer() -> Callable:
    return attribute_score
