"""What every trainable kgx component shares: its labels and the update loop."""

from typing import Dict, Iterable, List, Optional

from spacy.pipeline import TrainablePipe
from spacy.training import Example, validate_examples
from thinc.api import set_dropout_rate


class KgxPipe(TrainablePipe):
    """A TrainablePipe whose labels live in ``cfg["labels"]`` and whose subclasses only say
    how to learn from one batch (``learn``)."""

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
        if loss is not None:
            if sgd is not None:
                self.finish_update(sgd)
            losses[self.name] += loss
        return losses

    def learn(self, examples: List[Example]) -> Optional[float]:
        """Forward, loss and backprop for one batch; the loss, or None when the batch has
        nothing to learn from (then no optimizer step is taken)."""
        raise NotImplementedError
