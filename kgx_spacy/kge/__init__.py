"""Knowledge-graph embeddings: interactions, models, training and filtered evaluation."""

from .evaluation import KnownTriples, evaluate, rank, rank_metrics
from .interactions import INTERACTIONS, Interaction
from .model import KGEModel, default_init_scale
from .plausibility import Plausibility
from .training import TrainingConfig, TrainingResult, pick_device, train
from .triples import LabelledTriples, TriplesFactory, rdf_triples, read_triples

__all__ = [
    "INTERACTIONS",
    "Interaction",
    "KGEModel",
    "KnownTriples",
    "LabelledTriples",
    "Plausibility",
    "TrainingConfig",
    "TrainingResult",
    "TriplesFactory",
    "default_init_scale",
    "evaluate",
    "pick_device",
    "rank",
    "rank_metrics",
    "rdf_triples",
    "read_triples",
    "train",
]
