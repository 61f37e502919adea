"""Training a KGEModel: 1-N cross-entropy or (self-adversarial) negative sampling, with
validation MRR, early stopping on it (the best epoch's weights kept), and a checkpoint after
every epoch from which a stopped run continues as if it had never stopped."""

import hashlib
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ..errors import KgxInputError
from .evaluation import evaluate
from .model import KGEModel

CHECKPOINT_FILE = "checkpoint.pt"

MODES = ("1-n", "negative-sampling")
OPTIMIZERS = {"adagrad": torch.optim.Adagrad, "adam": torch.optim.Adam}


@dataclass
class TrainingConfig:
    """How to train. The defaults are the 1-N recipe of Lacroix et al. (2018) for ComplEx.

    mode: "1-n" (each (h, r) scored against every entity, cross-entropy on the true tail) or
        "negative-sampling" (``negatives`` uniformly corrupted heads or tails per triple).
    epochs, batch_size: passes over the training triples and triples per step.
    optimizer, lr: "adagrad" or "adam", and the learning rate.
    lr_decay_epoch: from this epoch on the learning rate is a tenth (the RotatE reference
        code decays at half the steps); None keeps it constant.
    n3_weight: weight of the N3 regulariser (``KGEModel.n3``); 0 turns it off.
    label_smoothing: of the 1-N cross-entropy.
    negatives: corrupted triples per training triple (negative sampling).
    margin: γ added to every score before the logistic loss (negative sampling): distance
        models score -d, so their logit is γ - d; use 0 for ComplEx and DistMult.
    adversarial_temperature: α of self-adversarial sampling (Sun et al. 2019): negatives are
        weighted by softmax(α · logit); 0 weights them uniformly.
    seed: shuffling and sampling seed; with the model's seed, CPU runs repeat exactly.
    device: "cpu", "cuda", "cuda:1", ...; None: CUDA when available, else the CPU.
    eval_every: filtered validation MRR every this many epochs (and at the last); 0: never.
    patience: stop after this many validations in a row without a better MRR; 0: never.
    max_seconds: the budget of the run's training and validation time: the run stops after
        an epoch when one more (as long as the slowest so far, and a tenth) and two
        validations (this epoch's and the next's, as long as their mean) would take it past
        the budget; 0: no limit. A continued run counts the time before.
    """

    mode: str = "1-n"
    epochs: int = 100
    batch_size: int = 1000
    optimizer: str = "adagrad"
    lr: float = 0.1
    lr_decay_epoch: Optional[int] = None
    n3_weight: float = 0.0
    label_smoothing: float = 0.0
    negatives: int = 256
    margin: float = 0.0
    adversarial_temperature: float = 1.0
    seed: int = 0
    device: Optional[str] = None
    eval_every: int = 0
    patience: int = 0
    max_seconds: float = 0.0

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"unknown training mode {self.mode!r}; choose from {MODES}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose from {sorted(OPTIMIZERS)}")


@dataclass
class TrainingResult:
    """losses: mean loss per epoch. epoch_seconds: wall time per epoch (device synchronised;
    validation not included). valid_seconds: time spent validating. valid_mrr: (epoch,
    filtered validation MRR) of each validation. best_epoch: the epoch whose weights the
    model holds at the end (the last without validation). stopped_by: what ended the run:
    "epochs", "patience" or "max_seconds"."""

    config: TrainingConfig
    losses: List[float] = field(default_factory=list)
    epoch_seconds: List[float] = field(default_factory=list)
    valid_seconds: float = 0.0
    valid_mrr: List[Tuple[int, float]] = field(default_factory=list)
    best_epoch: int = 0
    stopped_by: str = "epochs"

    @property
    def stopped_early(self) -> bool:
        return self.stopped_by != "epochs"

    @property
    def seconds(self) -> float:
        """Training and validation time of the whole run."""
        return sum(self.epoch_seconds) + self.valid_seconds

    @property
    def seconds_per_epoch(self) -> float:
        return sum(self.epoch_seconds) / max(1, len(self.epoch_seconds))

    @property
    def best_mrr(self) -> Optional[float]:
        return max((mrr for _, mrr in self.valid_mrr), default=None)

    def to_dict(self) -> dict:
        return {
            "config": asdict(self.config),
            "losses": self.losses,
            "seconds_per_epoch": self.seconds_per_epoch,
            "epoch_seconds": self.epoch_seconds,
            "valid_seconds": self.valid_seconds,
            "valid_mrr": self.valid_mrr,
            "best_epoch": self.best_epoch,
            "stopped_by": self.stopped_by,
        }


def pick_device(device: Optional[str] = None) -> torch.device:
    """``device``, or CUDA when available, else the CPU."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def self_adversarial_loss(positive: Tensor, negative: Tensor, margin: float, temperature: float) -> Tensor:
    """The RotatE loss: -log σ(γ + s⁺) - Σ_i w_i log σ(-(γ + s⁻_i)), halved.

    The weights w = softmax(α · (γ + s⁻)) are constants (no gradient flows through them).
    positive: shape: (b,); negative: shape: (b, k). RETURNS: a scalar.
    """
    negative = negative + margin
    if temperature > 0:
        weights = torch.softmax(temperature * negative, dim=-1).detach()
    else:
        weights = torch.full_like(negative, 1.0 / negative.shape[-1])
    positive_term = F.logsigmoid(positive + margin).mean()
    negative_term = (weights * F.logsigmoid(-negative)).sum(dim=-1).mean()
    return -(positive_term + negative_term) / 2


def with_inverses(triples: Tensor, n_relations: int) -> Tensor:
    """The triples followed by (t, r + n_relations, h) for each. shape: (2m, 3)."""
    inverted = torch.stack([triples[:, 2], triples[:, 1] + n_relations, triples[:, 0]], dim=1)
    return torch.cat([triples, inverted])


def train(
    model: KGEModel,
    triples: Tensor,
    config: TrainingConfig,
    on_epoch: Optional[Callable[[int, float], None]] = None,
    valid: Optional[Tensor] = None,
    filter_triples: Sequence[Tensor] = (),
    checkpoint: Optional[Union[str, Path]] = None,
    result: Optional[TrainingResult] = None,
) -> TrainingResult:
    """Train ``model`` in place on ``triples`` (ids, shape: (m, 3)).

    A reciprocal model trains on the triples and their inverses and predicts (or corrupts)
    tails only; otherwise both tails and heads are predicted (or corrupted, half of each batch).
    on_epoch: called after each epoch with (epoch, mean loss), epochs counted from 1.
    valid: triples (shape: (v, 3)) whose filtered MRR is measured every ``eval_every``
        epochs, ``triples`` and ``filter_triples`` filtered out; the model ends with the
        weights of the best validation.
    checkpoint: a folder; after every epoch the model, optimiser, random state and result
        are saved there, and a run started with the same folder and config continues from
        the last saved epoch (the same weights an uninterrupted run reaches).
    result: the record to fill (read it from ``on_epoch`` to see the validations so far).
    """
    device = pick_device(config.device)
    model.to(device)
    model.train()
    train_triples = triples.to(device)
    if model.reciprocal:
        train_triples = with_inverses(train_triples, len(model.factory.relations))
    generator = torch.Generator(device=device).manual_seed(config.seed)
    # One kernel per parameter for the whole update (CPU and CUDA), the same numbers.
    fused = device.type in ("cpu", "cuda")
    optimizer = OPTIMIZERS[config.optimizer](model.parameters(), lr=config.lr, fused=fused)
    step = _one_to_all_step if config.mode == "1-n" else _negative_sampling_step
    result = result if result is not None else TrainingResult(config)
    best: Optional[Dict[str, Tensor]] = None
    path = Path(checkpoint) / CHECKPOINT_FILE if checkpoint is not None else None
    if path is not None and path.exists():
        best = _resume(path, model, optimizer, generator, result)
    for epoch in range(len(result.losses) + 1, config.epochs + 1):
        if result.stopped_early:
            break
        for group in optimizer.param_groups:
            decayed = config.lr_decay_epoch is not None and epoch >= config.lr_decay_epoch
            group["lr"] = config.lr / 10 if decayed else config.lr
        start = time.perf_counter()
        order = torch.randperm(len(train_triples), generator=generator, device=device)
        total = torch.zeros((), device=device)
        n_batches = 0
        for begin in range(0, len(train_triples), config.batch_size):
            batch = train_triples[order[begin : begin + config.batch_size]]
            loss = step(model, batch, config, generator)
            if config.n3_weight:
                loss = loss + config.n3_weight * model.n3(batch[:, 0], batch[:, 1], batch[:, 2])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach()
            n_batches += 1
        mean_loss = total.item() / max(1, n_batches)  # .item() waits for the device
        result.epoch_seconds.append(time.perf_counter() - start)
        result.losses.append(mean_loss)
        over_time = bool(config.max_seconds) and result.seconds + _next_epoch_seconds(result) > config.max_seconds
        last = epoch == config.epochs or over_time
        if valid is not None and config.eval_every and (epoch % config.eval_every == 0 or last):
            start = time.perf_counter()
            model.eval()
            mrr = evaluate(model, valid, [triples, *filter_triples])["mrr"]
            model.train()
            result.valid_seconds += time.perf_counter() - start
            if not result.valid_mrr or mrr > result.best_mrr:
                best, result.best_epoch = _copy(model), epoch
            result.valid_mrr.append((epoch, mrr))
            since = sum(1 for e, _ in result.valid_mrr if e > result.best_epoch)
            if config.patience and since >= config.patience:
                result.stopped_by = "patience"
        elif best is None:
            result.best_epoch = epoch
        if over_time and not result.stopped_early:
            result.stopped_by = "max_seconds"
        if path is not None:
            _save(path, model, optimizer, generator, result, best)
        if on_epoch is not None:
            on_epoch(epoch, mean_loss)
    if best is not None:
        model.load_state_dict(best)
    model.eval()
    return result


def _next_epoch_seconds(result: TrainingResult) -> float:
    """What another epoch may cost: the slowest epoch so far and a tenth more (on a shared
    machine epochs vary by that much), and two validations (the one after the epoch just
    run and the next one's) at their mean time."""
    mean_validation = result.valid_seconds / len(result.valid_mrr) if result.valid_mrr else 0.0
    return 1.1 * max(result.epoch_seconds) + 2 * mean_validation


def _graph_key(model: KGEModel) -> str:
    """What a checkpoint must share with the run that continues it, beside the config."""
    factory = model.factory
    text = "\n".join([model.interaction_name, str(model.dim), str(model.reciprocal), *factory.entities, *factory.relations])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _copy(model: KGEModel) -> Dict[str, Tensor]:
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def _save(path: Path, model, optimizer, generator, result: TrainingResult, best) -> None:
    """The checkpoint, written whole or not at all (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "config": asdict(result.config),
        "graph": _graph_key(model),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "generator": generator.get_state(),
        "result": {k: v for k, v in result.to_dict().items() if k not in ("config", "seconds_per_epoch")},
        "best": best,
    }
    temporary = path.with_name(path.name + ".tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)


def _resume(path: Path, model, optimizer, generator, result: TrainingResult) -> Optional[Dict[str, Tensor]]:
    """Load a checkpoint into the run; RETURNS the best weights it holds."""
    state = torch.load(path, map_location=model.entity_embeddings.device, weights_only=True)
    if state.get("graph") != _graph_key(model):
        raise KgxInputError(path, "a checkpoint of another graph or model (entities, relations, interaction or "
                                  "dimension differ): delete it to start again")
    free = ("epochs", "patience", "device", "max_seconds")  # a continued run may change these
    saved = {k: v for k, v in state["config"].items() if k not in free}
    wanted = {k: v for k, v in asdict(result.config).items() if k not in free}
    if saved != wanted:
        changed = sorted(k for k in wanted if saved.get(k) != wanted[k])
        raise KgxInputError(path, f"a checkpoint of another training configuration ({', '.join(changed)} differ): "
                                  "continue with the same settings, or delete it to start again")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(state["generator"])
    for key, value in state["result"].items():
        setattr(result, key, [tuple(v) for v in value] if key == "valid_mrr" else value)
    if result.stopped_by == "max_seconds":
        result.stopped_by = "epochs"  # a new budget
    return state["best"]


class _ScoresCrossEntropy(torch.autograd.Function):
    """Mean cross-entropy of (b, n) scores against targets, computed in the scores' own
    buffer: they become the softmax in place, which is also the gradient once the target's
    1 is taken off. One exp per score instead of torch's three passes (log-softmax forward,
    its backward and the NLL's dense zero gradient), which dominate a 1-N step beside the
    matrix products. The scores must be a temporary nothing else reads (a fresh matmul); autograd
    raises if a node saved them, as their version has changed."""

    @staticmethod
    def forward(ctx, scores: Tensor, targets: Tensor, smoothing: float) -> Tensor:
        rows = torch.arange(len(targets), device=scores.device)
        target_scores = scores[rows, targets]
        mean_scores = scores.mean(dim=1) if smoothing else None
        top = scores.amax(dim=1, keepdim=True)
        probs = scores.sub_(top).exp_()
        total = probs.sum(dim=1, keepdim=True)
        probs.div_(total)
        lse = total.squeeze(1).log_() + top.squeeze(1)  # log Σ exp(scores)
        loss = lse - (1 - smoothing) * target_scores
        if smoothing:
            loss = loss - smoothing * mean_scores
        ctx.save_for_backward(probs, targets)
        ctx.smoothing = smoothing
        return loss.mean()

    @staticmethod
    def backward(ctx, grad: Tensor):
        probs, targets = ctx.saved_tensors
        smoothing = ctx.smoothing
        rows = torch.arange(len(targets), device=probs.device)
        if smoothing:
            probs.sub_(smoothing / probs.shape[1])
        probs[rows, targets] -= 1 - smoothing
        return probs.mul_(grad / len(targets)), None, None


def scores_cross_entropy(scores: Tensor, targets: Tensor, smoothing: float = 0.0) -> Tensor:
    """``F.cross_entropy(scores, targets, label_smoothing=smoothing)`` for 1-N scores,
    overwriting ``scores`` (shape: (b, n), a temporary); targets: shape: (b,)."""
    return _ScoresCrossEntropy.apply(scores, targets, smoothing)


def _one_to_all_step(model: KGEModel, batch: Tensor, config: TrainingConfig, generator) -> Tensor:
    h, r, t = batch.unbind(dim=1)
    loss = scores_cross_entropy(model.score_t(h, r), t, config.label_smoothing)
    if not model.reciprocal:
        loss = (loss + scores_cross_entropy(model.score_h(r, t), h, config.label_smoothing)) / 2
    return loss


def _negative_sampling_step(model: KGEModel, batch: Tensor, config: TrainingConfig, generator) -> Tensor:
    h, r, t = batch.unbind(dim=1)
    n_entities = model.entity_embeddings.shape[0]
    corrupted = torch.randint(
        n_entities, (len(batch), config.negatives), generator=generator, device=batch.device
    )
    # Reciprocal models corrupt tails only; the others corrupt tails in the first half of the
    # batch and heads in the second, each half scored by broadcasting against its k negatives.
    split = len(batch) if model.reciprocal else (len(batch) + 1) // 2
    negative = [model.score(h[:split, None], r[:split, None], corrupted[:split])]
    if split < len(batch):
        negative.append(model.score(corrupted[split:], r[split:, None], t[split:, None]))
    positive = model.score(h, r, t)
    return self_adversarial_loss(
        positive, torch.cat(negative), config.margin, config.adversarial_temperature
    )
