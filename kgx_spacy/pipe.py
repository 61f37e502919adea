"""What every trainable kgx component shares: its labels and the update loop."""

from typing import Callable, Dict, Iterable, List, Optional

from spacy.pipeline import TrainablePipe
from spacy.training import Example, validate_examples
from thinc.api import Config, Model, set_dropout_rate

from .extensions import install_extensions


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
        self, get_examples: Callable[[], Iterable[Example]], labels: Optional[dict], records: str, key: str,
        observe: Optional[Callable[[Example], None]] = None,
    ) -> None:
        """Labels from ``labels`` (as ``label_data`` gives them), else from the gold
        ``doc._.<records>`` (their ``key`` field) and the gold entities of the examples.
        observe: called with each example of that same pass (what else a pipe learns from
        the corpus before training)."""
        if labels is None:  # one pass: each get_examples() reads and aligns the whole corpus
            found, entity_labels = set(), set()
            for eg in get_examples():
                found.update(r[key] for r in eg.reference._.get(records))
                entity_labels.update(e.label_ for e in eg.reference.ents)
                if observe is not None:
                    observe(eg)
            labels = {"labels": sorted(found), "entity_labels": sorted(entity_labels)}
        for label in labels["labels"]:
            self.add_label(label)
        self.cfg["entity_labels"] = list(labels["entity_labels"])
        if not self.labels:
            raise ValueError(f"{self.name}: no labels in the training data (doc._.{records})")


_LISTENER = """
[model.tok2vec]
@architectures = "spacy-transformers.TransformerListener.v1"
grad_factor = 1.0
upstream = "*"

[model.tok2vec.pooling]
@layers = "reduce_mean.v1"
"""


def default_model(head: str) -> Config:
    """A component's default model config: ``head`` (its ``[model]`` block) reading the
    shared ``transformer`` through a listener."""
    return Config().from_str(head + _LISTENER)["model"]

