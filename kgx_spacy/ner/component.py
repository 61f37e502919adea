"""``kgx_ner``: fine-tuned token-classification NER on a shared encoder."""

from itertools import islice
from typing import Any, Callable, Dict, Iterable, List, Optional

from spacy.language import Language
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example
from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats2d

from ..extensions import ENTITIES_SPANS_KEY
from ..ml.tagging import ScoredSpan, biluo_to_bio, bio_tags, decode, tagging_loss
from ..pipe import KgxPipe, check_get_examples, corpus_labels, default_model

DEFAULT_NER_MODEL = default_model(
    """
[model]
@architectures = "kgx.TokenTagger.v2"
dropout = 0.1
"""
)


@Language.factory(
    "kgx_ner",
    assigns=["doc.ents", "doc.spans"],
    default_config={
        "model": DEFAULT_NER_MODEL,
        "spans_key": ENTITIES_SPANS_KEY,
        "learn_rate_scale": 10.0,
        "scorer": {"@scorers": "kgx.ner_scorer.v1"},
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_ner(
    nlp: Language, name: str, model: Model, spans_key: str, learn_rate_scale: float, scorer: Optional[Callable]
) -> "EntityTagger":
    """learn_rate_scale: the tagger's own weights learn at this times the optimizer's rate
        (the shared encoder at the rate itself): 0.825 dev F on CoNLL04 after 300 steps
        against 0.814 at 1.0."""
    return EntityTagger(nlp.vocab, model, name, spans_key=spans_key, learn_rate_scale=learn_rate_scale, scorer=scorer)


def ner_score(examples: Iterable[Example], **kwargs) -> Dict[str, Any]:
    """Strict span + type precision, recall and F1 (``ents_p/r/f``, ``ents_per_type``)."""
    return get_ner_prf(examples, **kwargs)


@registry.scorers("kgx.ner_scorer.v1")
def make_ner_scorer() -> Callable:
    return ner_score


class EntityTagger(KgxPipe):
    """Tags each token B-/I-/O, decodes the best valid sequence, writes ``doc.ents``.

    Entity scores (geometric mean of the chosen tags' probabilities) go to
    ``doc.spans[spans_key].attrs["scores"]``, one per span, in ``doc.ents`` order.
    """

    def __init__(
        self,
        vocab,
        model: Model,
        name: str,
        *,
        spans_key: str,
        learn_rate_scale: float,
        scorer: Optional[Callable],
    ):
        super().__init__(vocab, model, name, scorer, {"spans_key": spans_key, "learn_rate_scale": learn_rate_scale})

    @property
    def tags(self) -> List[str]:
        return bio_tags(self.labels)

    @property
    def label_data(self) -> List[str]:
        return list(self.labels)

    def predict(self, docs: Iterable[Doc]) -> List[List[ScoredSpan]]:
        """Per Doc: its best valid spans, ``(start, end, label_index, score)``."""
        docs = list(docs)
        if not any(len(doc) for doc in docs):
            return [[] for _ in docs]
        scores = self.model.predict(docs)
        return [decode(self.model.ops.to_numpy(s), len(self.labels)) for s in scores]

    def set_annotations(self, docs: Iterable[Doc], guesses: List[List[ScoredSpan]]) -> None:
        for doc, spans in zip(docs, guesses):
            spans = [s for s in spans if doc[s[0] : s[1]].text.strip()]  # a newline is no entity
            ents = [Span(doc, start, end, label=self.labels[label]) for start, end, label, _ in spans]
            doc.ents = ents
            group = SpanGroup(doc, name=self.cfg["spans_key"], spans=ents)
            group.attrs["scores"] = [score for *_, score in spans]
            doc.spans[self.cfg["spans_key"]] = group

    def learn(self, examples: List[Example]) -> Optional[float]:
        if not any(len(eg.predicted) for eg in examples):
            return None
        scores, backprop = self.model.begin_update([eg.predicted for eg in examples])
        loss, d_scores = self.get_loss(examples, scores)
        backprop(d_scores)
        return loss

    def get_loss(self, examples: Iterable[Example], scores: List[Floats2d]):
        """Cross-entropy summed over tokens with a known gold tag (see ``tagging_loss``)."""
        gold = [[biluo_to_bio(tag) for tag in eg.get_aligned_ner()] for eg in examples]
        return tagging_loss(scores, gold, self.tags)  # on the scores' device

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[List[str]] = None,
    ) -> None:
        check_get_examples(get_examples, "EntityTagger.initialize")
        if labels is None:
            labels = sorted(corpus_labels(get_examples).entity_labels)
        for label in labels:
            self.add_label(label)
        if not self.labels:
            raise ValueError(f"{self.name}: no entity labels in the training data")
        sample = [eg.predicted for eg in islice(get_examples(), 10)]
        self.model.get_ref("output_layer").set_dim("nO", len(self.tags))
        self.model.initialize(X=sample)
