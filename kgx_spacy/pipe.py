"""What every trainable kgx component shares: its labels, the one pass over the training
corpus that finds them, and the update loop."""

import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

from spacy.pipeline import TrainablePipe
from spacy.training import Example, validate_examples
from thinc.api import Config, Model, set_dropout_rate

from .extensions import ATTRIBUTES, RELATIONS, install_extensions


@dataclass
class CorpusLabels:
    """What the kgx components read off the gold training data before training.

    entity_labels: the labels of ``doc.ents``.
    record_labels: per Doc extension (``kgx_relations``, ``kgx_attributes``), the labels of
        its gold records.
    signatures: relation label → the (head type, tail type) pairs it joins (a type is None
        when the span is not among ``doc.ents``).
    links: (entity label, IRI) → the number of gold entities of that label linked to it.
    """

    entity_labels: Set[str] = field(default_factory=set)
    record_labels: Dict[str, Set[str]] = field(default_factory=lambda: {RELATIONS: set(), ATTRIBUTES: set()})
    signatures: Dict[str, Set[Tuple[Optional[str], Optional[str]]]] = field(default_factory=dict)
    links: Counter = field(default_factory=Counter)

    def add(self, doc) -> None:
        types = {(e.start, e.end): e.label_ for e in doc.ents}
        for ent in doc.ents:
            self.entity_labels.add(ent.label_)
            if ent.kb_id_:
                self.links[(ent.label_, ent.kb_id_)] += 1
        for record in doc._.get(RELATIONS):
            self.record_labels[RELATIONS].add(record["label"])
            signature = (types.get(tuple(record["head"])), types.get(tuple(record["tail"])))
            self.signatures.setdefault(record["label"], set()).add(signature)
        self.record_labels[ATTRIBUTES].update(record["attribute"] for record in doc._.get(ATTRIBUTES))


def check_get_examples(get_examples: Callable[[], Iterable[Example]], method: str) -> None:
    """spaCy's ``validate_get_examples`` on the first example: spaCy's reads the whole
    corpus to check every example's type, a pass per component (``corpus_labels`` checks
    the rest in its one pass)."""
    if not callable(get_examples):
        raise TypeError(f"{method}: get_examples must be a function returning Examples, not {type(get_examples).__name__}")
    first = next(iter(get_examples()), None)
    if not isinstance(first, Example):
        found = "nothing" if first is None else type(first).__name__
        raise TypeError(f"{method}: get_examples() must yield spaCy Examples; its first item is {found}")


_LAST_READ: list = [None, None]  # weak reference to the last get_examples, its CorpusLabels


def corpus_labels(get_examples: Callable[[], Iterable[Example]]) -> CorpusLabels:
    """The ``CorpusLabels`` of the references ``get_examples()`` yields, in one pass.

    Each ``get_examples()`` reads and aligns the whole corpus (WebNLG train: most of a
    minute); ``nlp.initialize`` hands the same ``get_examples`` to every component, so the
    components of one pipeline share one pass: the last one read is kept while that
    ``get_examples`` lives.
    """
    ref, labels = _LAST_READ
    if ref is not None and ref() is get_examples:
        return labels
    labels = CorpusLabels()
    for eg in get_examples():
        if not isinstance(eg, Example):
            raise TypeError(f"get_examples() must yield spaCy Examples, not {type(eg).__name__}")
        labels.add(eg.reference)
    _LAST_READ[:] = [weakref.ref(get_examples), labels]
    return labels


class KgxPipe(TrainablePipe):
    """A TrainablePipe whose labels live in ``cfg["labels"]`` and whose subclasses only say
    how to learn from one batch (``learn``)."""

    def __init__(self, vocab, model: Model, name: str, scorer: Optional[Callable], cfg: dict):
        """cfg: the component's settings saved with it; ``labels`` is added, empty."""
        install_extensions()
        self.vocab = vocab
        self.model = model
        self.name = name
        self.scorer = scorer
        self.cfg = {"labels": [], **cfg}

    @property
    def labels(self) -> tuple:
        return tuple(self.cfg["labels"])

    def add_label(self, label: str) -> int:
        if label in self.cfg["labels"]:
            return 0
        self._allow_extra_label()
        self.cfg["labels"].append(label)
        self.vocab.strings.add(label)
        return 1

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd=None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, f"{type(self).__name__}.update")
        set_dropout_rate(self.model, drop)
        loss = self.learn(examples)
        if loss is None:
            self._pass_no_gradient([eg.predicted for eg in examples])
        else:
            if sgd is not None:
                self.finish_update(sgd)
            losses[self.name] += loss
        return losses

    def _pass_no_gradient(self, docs: List) -> None:
        """Backprop zeros through ``tok2vec``: when this component is the shared
        transformer's last listener, its backprop is what runs the transformer's update
        for the whole batch, with the other components' gradients."""
        if not any(len(doc) for doc in docs):
            return  # the transformer skipped the batch too
        vectors, backprop = self.model.get_ref("tok2vec").begin_update(docs)
        backprop([self.model.ops.alloc2f(*v.shape) for v in vectors])

    def finish_update(self, sgd) -> None:
        """The optimizer's step on this component's own weights (the shared transformer
        steps its own), each at the learning rate times ``lr_scale(node, name)``."""
        for node in self.model.walk():
            for name in node.param_names:
                if node.has_grad(name):
                    scale = self.lr_scale(node, name)
                    param, _ = sgd((node.id, name), node.get_param(name), node.get_grad(name), lr_scale=scale)
                    node.set_param(name, param)

    def lr_scale(self, node: Model, name: str) -> float:
        """A head trained from scratch learns at ``cfg["learn_rate_scale"]`` times the rate
        the pretrained encoder is fine-tuned with."""
        return self.cfg["learn_rate_scale"]

    def learn(self, examples: List[Example]) -> Optional[float]:
        """Forward, loss and backprop for one batch; the loss, or None when the batch has
        nothing to learn from (then no optimizer step is taken)."""
        raise NotImplementedError


class EntityPairPipe(KgxPipe):
    """A KgxPipe that classifies pairs built on entities: it also knows the entity labels
    (``cfg["entity_labels"]``), whose one-hot types feed its pair features."""

    @property
    def label_data(self) -> dict:
        return {"labels": list(self.labels), "entity_labels": list(self.cfg["entity_labels"])}

    def _init_labels(
        self, get_examples: Callable[[], Iterable[Example]], labels: Optional[dict], records: str
    ) -> None:
        """Labels from ``labels`` (as ``label_data`` gives them), else from the gold
        ``doc._.<records>`` and the gold entities of the examples (``corpus_labels``)."""
        if labels is None:
            found = corpus_labels(get_examples)
            labels = {"labels": sorted(found.record_labels[records]), "entity_labels": sorted(found.entity_labels)}
        for label in labels["labels"]:
            self.add_label(label)
        self.cfg["entity_labels"] = list(labels["entity_labels"])
        if not self.labels:
            raise ValueError(f"{self.name}: no labels in the training data (doc._.{records})")


_LISTENER = """
[model.tok2vec]
@architectures = "kgx.TransformerListener.v1"
grad_factor = 1.0
upstream = "*"

[model.tok2vec.pooling]
@layers = "reduce_mean.v1"
"""


def default_model(head: str) -> Config:
    """A component's default model config: ``head`` (its ``[model]`` block) reading the
    shared ``transformer`` through a listener."""
    return Config().from_str(head + _LISTENER)["model"]

