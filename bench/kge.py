"""KGE link prediction on WN18RR or FB15k-237: kgx_spacy.kge beside PyKEEN, same recipe.

Trains our implementation, reports filtered test MRR, Hits@1/3/10 (realistic ranks, heads and
tails, filtered with train + valid + test) and seconds per epoch; then, when pykeen is
importable (a bench-only extra: ``pip install pykeen``), trains PyKEEN on the same ids with the
same model, dimension, epochs, batch size, optimiser, loss and negatives, and reports
pykeen_mrr, pykeen_hits_at_1/10 and pykeen_seconds_per_epoch. Writes
bench/results/kge-<dataset>.json (or --output).

Default recipes (the strongest published settings we know for each model):
  complex, distmult: Lacroix, Usunier & Obozinski 2018, "Canonical Tensor Decomposition for
      Knowledge Base Completion" (github.com/facebookresearch/kbc, README): reciprocal
      relations, 1-N cross-entropy, N3 regularisation, Adagrad lr 0.1, init scale 1e-3,
      100 epochs. WN18RR: rank 500, N3 0.1, batch 100 (reported MRR 0.49). FB15k-237: rank
      1000, N3 0.05, batch 1000 (reported MRR 0.37). DistMult takes the same recipe.
  rotate, transe: Sun et al. 2019, "RotatE" (github.com/DeepGraphLearning/
      KnowledgeGraphEmbedding, best_config.sh): self-adversarial negative sampling, Adam lr
      5e-5 divided by 10 halfway, uniform init ±(γ+2)/d. WN18RR: d 500, γ 6, α 0.5, batch 512,
      1024 negatives, 80,000 steps = 472 epochs. FB15k-237: d 1000, γ 9, α 1.0, batch 1024,
      256 negatives, 100,000 steps = 376 epochs. Differences: the reference code filters
      true triples out of the negatives and weights triples by frequency; we do neither.
Every option below overrides the recipe.

PyKEEN counterpart (built by hand rather than through pykeen.pipeline, so that nothing is
probed, re-initialised or evaluated behind our back):
  1-N → SymmetricLCWATrainingLoop with its data and scoring replaced (_one_to_all_loop: the
      stock loop ignores inverse triples and pairs a triple's two directions in one batch):
      Lacroix et al.'s per-query 1-N cross-entropy on batches of b queries drawn from the
      triples and their inverses, like ours (PyKEEN's grouped LCWA loop would instead train
      on unique (h, r) pairs with multi-hot targets). Cross-entropy, inverse triples, PowerSum
      p=3 regulariser of the same weight on the batch's h, r and t (_batch_powersum: the stock
      one also takes the whole entity matrix that 1-N scores against, which stalls Adagrad
      from the 1e-3 init), Adagrad, the same normal(0, 1e-3) init: loss and gradients equal
      ours on the same weights and batch (to float32 rounding, N3 included).
  negative sampling → SLCWATrainingLoop, basic sampler (first half of each batch's negatives
      corrupt heads, second half tails, as ours), NSSA loss with the same γ and α, Adam, a
      MultiStepLR for the one halfway decay, uniform ±(γ+2)/d entity init, RotatE with p=1
      (Σ_i |h_i r_i - t_i| as the paper; PyKEEN's default is the L2 norm). PyKEEN keeps RotatE's
      relations as unit complex numbers (renormalised after each step), ours as scaled phases;
      TransE's default unit-norm entity constraint is turned off to match ours.
  Both: PyKEEN's automatic memory optimisation off (it probes batch sizes, and on the CPU
  that costs more than a short run), seconds per epoch = wall time of each training epoch
  (PyKEEN's TrainingLoop._train_epoch, batch creation included, evaluation excluded); test
  ranks filtered with train + valid + test, realistic, heads and tails (both.realistic.*).

Budgets: --epochs below the recipe's records epochs and recipe_epochs in the result, and
--note says why. --max-triples trains on a prefix of train (every entity kept, so a step costs
what it costs on the full data) and adds *_seconds_per_full_epoch, the measured time per
step times the full data's steps per epoch. --no-eval skips evaluation (speed only).

Usage:
  python bench/kge.py wn18rr [--model complex|rotate|distmult|transe] [--dim D] [--epochs N] ...
  smoke run: python bench/kge.py wn18rr --dim 8 --epochs 1 --max-triples 3000 --max-eval 200 \\
      --output /tmp/kge-smoke.json
(KGX_DATA: data folder, default ../shared/data beside the repository.)
Runs behind bench/results/kge-*.json (a 2-core CPU shared with a training job, so reduced
budgets: see each file's note; the full recipes need a GPU):
  python bench/kge.py wn18rr --epochs 1 --max-triples 8000 --note "..."
  python bench/kge.py fb15k237 --epochs 2 --max-triples 1500 --no-eval --note "..."
"""

import argparse
import importlib.util
import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Dict

import torch
from common import REPO, write_result

from kgx_spacy.kge import (
    KGEModel,
    TrainingConfig,
    TrainingResult,
    TriplesFactory,
    evaluate,
    pick_device,
    read_triples,
    train,
)

FOLDERS = {"wn18rr": "WN18RR", "fb15k237": "FB15k-237"}
SPLITS = ("train", "valid", "test")


def _one_to_all(dim: int, batch_size: int, n3: float) -> dict:
    config = TrainingConfig(mode="1-n", epochs=100, batch_size=batch_size, optimizer="adagrad", lr=0.1, n3_weight=n3)
    return {"dim": dim, "reciprocal": True, "training": config}


def _negative_sampling(dim: int, epochs: int, batch_size: int, negatives: int, margin: float, alpha: float) -> dict:
    config = TrainingConfig(
        mode="negative-sampling", epochs=epochs, batch_size=batch_size, optimizer="adam", lr=5e-5,
        lr_decay_epoch=epochs // 2 + 1, negatives=negatives, margin=margin, adversarial_temperature=alpha,
    )
    return {"dim": dim, "reciprocal": False, "training": config}


RECIPES = {
    ("complex", "wn18rr"): _one_to_all(500, 100, 0.1),
    ("complex", "fb15k237"): _one_to_all(1000, 1000, 0.05),
    ("distmult", "wn18rr"): _one_to_all(500, 100, 0.1),
    ("distmult", "fb15k237"): _one_to_all(1000, 1000, 0.05),
    ("rotate", "wn18rr"): _negative_sampling(500, 472, 512, 1024, 6.0, 0.5),
    ("rotate", "fb15k237"): _negative_sampling(1000, 376, 1024, 256, 9.0, 1.0),
    ("transe", "wn18rr"): _negative_sampling(500, 472, 512, 1024, 6.0, 0.5),
    ("transe", "fb15k237"): _negative_sampling(1000, 376, 1024, 256, 9.0, 1.0),
}
PYKEEN_MODELS = {"complex": "ComplEx", "distmult": "DistMult", "rotate": "RotatE", "transe": "TransE"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=sorted(FOLDERS))
    parser.add_argument("--model", choices=sorted(PYKEEN_MODELS), default="complex")
    parser.add_argument("--dim", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--n3", type=float, help="N3 weight")
    parser.add_argument("--negatives", type=int)
    parser.add_argument("--margin", type=float)
    parser.add_argument("--temperature", type=float, help="self-adversarial alpha")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", help="default: cuda if available, else cpu")
    parser.add_argument("--max-triples", type=int, help="train on the first N triples only (smoke runs)")
    parser.add_argument("--max-eval", type=int, help="evaluate on the first N test triples only (smoke runs)")
    parser.add_argument("--eval-batch-size", type=int, default=256)
    parser.add_argument("--no-pykeen", action="store_true", help="skip the PyKEEN run")
    parser.add_argument("--no-ours", action="store_true", help="skip the kgx_spacy run (PyKEEN only)")
    parser.add_argument("--no-eval", action="store_true", help="train only: seconds per epoch, no MRR")
    parser.add_argument("--eval-every", type=int, default=0, help="validation MRR every N epochs (early stopping)")
    parser.add_argument("--patience", type=int, default=0, help="stop after N validations without a better MRR")
    parser.add_argument("--max-seconds", type=float, default=0.0, help="training + validation time budget")
    parser.add_argument("--checkpoint", type=Path, help="save every epoch here; the same command continues a stopped run")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    parser.add_argument("--pykeen-epochs", type=int, help="PyKEEN trains this many epochs (its speed), not the run's")
    parser.add_argument("--merge", action="store_true",
                        help="add this run's figures to the existing result file, keeping the figures this run does "
                             "not measure (e.g. PyKEEN's beside a long run of ours, or a new long run beside PyKEEN's)")
    parser.add_argument("--note", help="free text stored in the result (e.g. why the budget is reduced)")
    parser.add_argument("--output", type=Path, help="default: bench/results/kge-<dataset>.json")
    args = parser.parse_args()
    started = time.perf_counter()

    recipe = RECIPES[(args.model, args.dataset)]
    overrides = {
        "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "n3_weight": args.n3,
        "negatives": args.negatives, "margin": args.margin, "adversarial_temperature": args.temperature,
    }
    config = replace(
        recipe["training"], seed=args.seed, device=args.device, eval_every=args.eval_every,
        patience=args.patience, max_seconds=args.max_seconds,
        **{key: value for key, value in overrides.items() if value is not None},
    )
    if args.threads:
        torch.set_num_threads(args.threads)
    dim = args.dim or recipe["dim"]
    init_scale = 1e-3 if config.mode == "1-n" else (config.margin + 2) / dim  # the recipes' inits
    if config.lr_decay_epoch is not None and args.epochs is not None:
        config = replace(config, lr_decay_epoch=config.epochs // 2 + 1)

    data = Path(os.environ.get("KGX_DATA", REPO.parent / "shared" / "data")) / FOLDERS[args.dataset]
    labelled = {split: read_triples(data / f"{split}.txt") for split in SPLITS}
    # Ids for every entity of every split, as ConvE, LibKGE and PyKEEN's datasets do
    # (29 FB15k-237 test entities never occur in train).
    factory = TriplesFactory.from_triples(*labelled.values())
    ids = {split: factory.map(triples) for split, triples in labelled.items()}
    full_train = ids["train"]
    # Filtering always uses every known triple, also when train or test are cut short.
    known = [ids["train"], ids["valid"], ids["test"]]
    if args.max_triples:
        ids["train"] = ids["train"][: args.max_triples]
    if args.max_eval:
        ids["valid"], ids["test"] = ids["valid"][: args.max_eval], ids["test"][: args.max_eval]
    device = pick_device(args.device)
    print(
        f"{args.dataset}: {len(ids['train'])} train / {len(ids['test'])} test triples, "
        f"{len(factory.entities)} entities; {args.model} d={dim} on {device}; {config}",
        flush=True,
    )

    # a prefix of train costs per step what the full data costs; scale steps up to a full epoch
    full_epoch = _steps(len(full_train), config.batch_size, recipe["reciprocal"]) / _steps(
        len(ids["train"]), config.batch_size, recipe["reciprocal"]
    )
    metrics = {}
    if args.no_ours:
        print("kgx_spacy: skipped (--no-ours)")
    else:
        model = KGEModel(args.model, factory, dim, reciprocal=recipe["reciprocal"], init_scale=init_scale, seed=args.seed)
        record = TrainingResult(config)

        def on_epoch(epoch: int, loss: float) -> None:
            valid = f", valid mrr {record.valid_mrr[-1][1]:.4f}" if record.valid_mrr and record.valid_mrr[-1][0] == epoch else ""
            print(f"epoch {epoch}: loss {loss:.4f}{valid} ({_stamp(epoch)})", flush=True)

        result = train(
            model, ids["train"], config, on_epoch=on_epoch, valid=ids["valid"] if config.eval_every else None,
            filter_triples=[ids["valid"], ids["test"]], checkpoint=args.checkpoint, result=record,
        )
        if not args.no_eval:
            eval_start = time.perf_counter()
            ours = evaluate(model, ids["test"], known, batch_size=args.eval_batch_size)
            metrics.update(
                mrr=ours["mrr"], hits_at_1=ours["hits_at_1"], hits_at_3=ours["hits_at_3"],
                hits_at_10=ours["hits_at_10"], eval_seconds=time.perf_counter() - eval_start,
            )
        metrics.update(
            seconds_per_epoch=result.seconds_per_epoch, epoch_seconds=[round(x, 1) for x in result.epoch_seconds],
            final_loss=result.losses[-1], train_seconds=result.seconds, train_epochs=len(result.losses),
            best_epoch=result.best_epoch, stopped_by=result.stopped_by,
            valid_mrr_curve=[[e, round(m, 4)] for e, m in result.valid_mrr],
        )
        if args.max_triples:
            metrics["seconds_per_full_epoch"] = result.seconds_per_epoch * full_epoch
        print(f"kgx_spacy: {metrics}", flush=True)
        del model
        if device.type == "cuda":
            torch.cuda.empty_cache()

    if args.no_pykeen:
        print("pykeen: skipped (--no-pykeen)")
    elif importlib.util.find_spec("pykeen") is None:
        print("pykeen: not importable, so no side-by-side figures (pip install pykeen)")
    else:
        pykeen_config = replace(config, epochs=args.pykeen_epochs) if args.pykeen_epochs else config
        pykeen_metrics = run_pykeen(
            args.model, factory, ids, known, dim, recipe["reciprocal"], pykeen_config, init_scale, device, args
        )
        pykeen_metrics["pykeen_epochs"] = pykeen_config.epochs
        if args.max_triples:
            pykeen_metrics["pykeen_seconds_per_full_epoch"] = pykeen_metrics["pykeen_seconds_per_epoch"] * full_epoch
        metrics.update(pykeen_metrics)
        print(f"pykeen: {pykeen_metrics}", flush=True)

    if config.mode == "1-n":
        metrics.update(flop_seconds(factory, ids["train"], dim, config.batch_size, recipe["reciprocal"], device))
    recipe_epochs = recipe["training"].epochs
    metrics.update(
        model=args.model, dim=dim, epochs=config.epochs, recipe_epochs=recipe_epochs,
        # reduced: a cut of the data, or fewer epochs than the recipe's without validation deciding when to stop
        reduced_budget=bool(args.max_triples) or bool(args.max_eval) or (
            config.epochs < recipe_epochs and not config.eval_every
        ),
        batch_size=config.batch_size, optimizer=config.optimizer, lr=config.lr,
        n3_weight=config.n3_weight if config.mode == "1-n" else None,
        negatives=config.negatives if config.mode == "negative-sampling" else None,
        train_triples=len(ids["train"]), full_train_triples=len(full_train), test_triples=len(ids["test"]),
        steps_per_epoch=_steps(len(ids["train"]), config.batch_size, recipe["reciprocal"]),
        torch_threads=torch.get_num_threads(), torch_version=torch.__version__,
        note=args.note,
    )
    output = args.output or REPO / "bench" / "results" / f"kge-{args.dataset}.json"
    extra = {}
    if args.merge and output.exists():
        before = json.loads(output.read_text())
        keep = {k: v for k, v in before["metrics"].items() if k not in metrics or metrics[k] is None}
        metrics = {**keep, **{k: v for k, v in metrics.items() if v is not None}}
        if args.no_ours:  # the earlier file holds the main run: its budget and note stay
            for key in ("note", "epochs", "reduced_budget", "train_triples", "steps_per_epoch"):
                metrics[key] = before["metrics"].get(key, metrics.get(key))
        extra["merged_commands"] = [*before.get("merged_commands", []), before["command"]]
        extra["merged_commits"] = [*before.get("merged_commits", []), before["commit"]]
    write_result(
        f"kge-{args.dataset}", args.dataset, "test", metrics, time.perf_counter() - started,
        device.index or 0 if device.type == "cuda" else -1, "bench/kge.py", encoder=None, output=output, **extra,
    )


def flop_seconds(factory: TriplesFactory, train_ids, dim: int, batch_size: int, reciprocal: bool, device) -> Dict:
    """The seconds of an epoch's matrix products alone, at this machine's measured rate: a
    1-N step is three (b × k) by (k × n) products (scores, their gradient for the queries
    and for the entity table; k = 2d for complex models), timed here, best of three.
    RETURNS: flop_seconds_per_epoch and matmul_gflops (the rate of those products)."""
    n, k, b = len(factory.entities), 2 * dim, batch_size
    q, table, grad = (torch.randn(shape, device=device) for shape in ((b, k), (n, k), (b, n)))
    products = (lambda: q @ table.T, lambda: grad @ table, lambda: grad.T @ q)
    seconds = 0.0
    for product in products:
        product()
        times = []
        for _ in range(3):
            start = time.perf_counter()
            product()
            times.append(time.perf_counter() - start)
        seconds += min(times)
    steps = _steps(len(train_ids), batch_size, reciprocal)
    return {"flop_seconds_per_epoch": seconds * steps, "matmul_gflops": 3 * 2 * b * k * n / seconds / 1e9}


def _steps(n_triples: int, batch_size: int, reciprocal: bool) -> int:
    """Our steps per epoch: batches over the triples, and their inverses for a reciprocal model."""
    queries = n_triples * (2 if reciprocal else 1)
    return -(-queries // batch_size)


def _stamp(epoch: int) -> str:
    return f"epoch {epoch} done at {time.strftime('%H:%M:%S')}"


def run_pykeen(
    model: str, factory: TriplesFactory, ids: Dict, known: list, dim: int, reciprocal: bool, config: TrainingConfig,
    init_scale: float, device, args,
) -> Dict[str, object]:
    """The same ids, model, dimension, epochs, batch size, optimiser, loss, init and negatives in PyKEEN."""
    from functools import partial

    import pykeen
    from pykeen.evaluation import RankBasedEvaluator
    from pykeen.losses import CrossEntropyLoss, NSSALoss
    from pykeen.models import model_resolver
    from pykeen.regularizers import PowerSumRegularizer
    from pykeen.sampling import BasicNegativeSampler
    from pykeen.training import SLCWATrainingLoop, SymmetricLCWATrainingLoop
    from pykeen.triples import CoreTriplesFactory
    from pykeen.utils import set_random_seed

    set_random_seed(args.seed)
    training = CoreTriplesFactory(
        mapped_triples=ids["train"], num_entities=len(factory.entities), num_relations=len(factory.relations),
        create_inverse_triples=reciprocal,
    )
    if model in ("complex", "distmult"):
        init = partial(torch.nn.init.normal_, std=init_scale)
    else:
        init = partial(torch.nn.init.uniform_, a=-init_scale, b=init_scale)
    model_kwargs = {"embedding_dim": dim, "entity_initializer": init}
    if model in ("complex", "distmult", "transe"):
        model_kwargs["relation_initializer"] = init  # RotatE keeps init_phases: uniform in [-π, π], as ours
    if model in ("distmult", "transe"):
        model_kwargs["entity_constrainer"] = None  # PyKEEN's default unit-norm entities; ours are free
    if model == "transe":
        model_kwargs["scoring_fct_norm"] = 1
    regularizer = None
    if config.n3_weight:
        regularizer = _batch_powersum(PowerSumRegularizer)(p=3.0, weight=config.n3_weight)
    model_kwargs["regularizer"] = regularizer
    if config.mode == "1-n":
        loss = CrossEntropyLoss()
    else:
        loss = NSSALoss(margin=config.margin, adversarial_temperature=config.adversarial_temperature)
    kge = model_resolver.make(
        PYKEEN_MODELS[model], triples_factory=training, loss=loss, random_seed=args.seed, **model_kwargs
    ).to(device)
    if model == "rotate":
        kge.interaction = _l1_rotate_interaction()
    if regularizer is not None:
        regularizer.skip = (kge.entity_representations[0]._embeddings.weight,)
    optimizer = {"adagrad": torch.optim.Adagrad, "adam": torch.optim.Adam}[config.optimizer](
        kge.get_grad_params(), lr=config.lr
    )
    scheduler = None
    if config.lr_decay_epoch is not None:  # one decay, like ours (a StepLR would decay again later)
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[config.lr_decay_epoch - 1], gamma=0.1)
    common = dict(
        model=kge, triples_factory=training, optimizer=optimizer, lr_scheduler=scheduler,
        automatic_memory_optimization=False,
    )
    if config.mode == "1-n":
        loop = _one_to_all_loop(SymmetricLCWATrainingLoop)(**common)
        batch_size = config.batch_size
    else:
        loop = SLCWATrainingLoop(
            negative_sampler=BasicNegativeSampler, negative_sampler_kwargs={"num_negs_per_pos": config.negatives},
            **common,
        )
        batch_size = config.batch_size

    epoch_seconds = []
    train_epoch = loop._train_epoch

    def timed_epoch(*a, **kw):
        start = time.perf_counter()
        epoch_loss = train_epoch(*a, **kw)
        epoch_seconds.append(time.perf_counter() - start)
        print(f"pykeen epoch {len(epoch_seconds)}: loss {epoch_loss:.4f} ({_stamp(len(epoch_seconds))})", flush=True)
        return epoch_loss

    loop._train_epoch = timed_epoch
    losses = loop.train(
        triples_factory=training, num_epochs=config.epochs, batch_size=batch_size, use_tqdm=False,
        use_tqdm_batch=False,
    )
    seconds = sum(epoch_seconds) / max(1, len(epoch_seconds))
    metrics = {
        "pykeen_seconds_per_epoch": seconds, "pykeen_epoch_seconds": [round(x, 1) for x in epoch_seconds],
        "pykeen_final_loss": losses[-1], "pykeen_batch_size": batch_size,
        "pykeen_training_loop": type(loop).__name__, "pykeen_version": pykeen.get_version(),
    }
    if not args.no_eval:
        eval_start = time.perf_counter()
        results = RankBasedEvaluator(filtered=True).evaluate(
            kge, mapped_triples=ids["test"], additional_filter_triples=known,
            batch_size=args.eval_batch_size, use_tqdm=False,
        )
        get = results.get_metric
        metrics.update(
            pykeen_mrr=get("both.realistic.inverse_harmonic_mean_rank"),
            pykeen_hits_at_1=get("both.realistic.hits_at_1"), pykeen_hits_at_3=get("both.realistic.hits_at_3"),
            pykeen_hits_at_10=get("both.realistic.hits_at_10"), pykeen_eval_seconds=time.perf_counter() - eval_start,
        )
    return metrics


def _batch_powersum(base):
    """PyKEEN's PowerSumRegularizer on the batch's factors only, as N3 in Lacroix et al. / ours.

    PyKEEN regularises whatever representations a forward pass reads; 1-N scoring reads the
    whole entity matrix, so the stock regulariser adds w · mean over all entities of Σ|e|³ on
    every step. From the 1e-3 init, Adagrad normalises the resulting ~1e-12 gradients like the
    equally tiny 1-N gradients of entities outside the batch, and the pull towards zero
    stalls training (WN18RR, d 500, 160 steps: loss at chance, test MRR 0.016 vs 0.024 without
    it). Updates with the full entity matrix (the weight in ``skip``) are dropped; the 1-N loop
    registers the true tails instead, so the term is w · (Σ|h|³ + Σ|r|³ + Σ|t|³) / b, as ours.
    """

    class BatchPowerSumRegularizer(base):
        skip = ()  # (the entity weight Parameter,): a tuple, so that the module does not register it

        def update(self, *tensors):
            # the full matrix is a view of the weight itself (same storage and start); read the
            # pointer now, since PyKEEN's reset_parameters_ replaces the weight's data
            skipped = {weight.data_ptr() for weight in self.skip}
            keep = [x for x in tensors if x.data_ptr() not in skipped]
            if keep:
                super().update(*keep)

    return BatchPowerSumRegularizer


def _l1_rotate_interaction():
    """RotatE's score as in the paper, its reference code and ours: -Σ_i |h_i r_i - t_i|.

    PyKEEN 1.11.1's RotatEInteraction computes -‖h∘r - t‖₂ and ignores its own ``p`` argument
    (its forward hard-codes p=2), so the L1 form needs its own forward.
    """
    from pykeen.nn.modules import RotatEInteraction
    from pykeen.utils import ensure_complex, estimate_cost_of_sequence

    class L1RotatEInteraction(RotatEInteraction):
        def forward(self, h, r, t):
            h, r, t = ensure_complex(h, r, t)
            if estimate_cost_of_sequence(h.shape, r.shape) < estimate_cost_of_sequence(r.shape, t.shape):
                return -(h * r - t).abs().sum(dim=-1)
            return -(h - t * torch.conj(r)).abs().sum(dim=-1)  # |h r - t| = |h - t r̄| for |r| = 1

    return L1RotatEInteraction(p=1)


def _one_to_all_loop(base):
    """Lacroix et al.'s (and our) 1-N training on PyKEEN 1.11.1's SymmetricLCWATrainingLoop.

    Reciprocal models: the data are the queries (h, r, ?) and (t, r⁻¹, ?) of every triple, with
    PyKEEN's own relation ids (2r and 2r + 1, the ids Model.predict_t / predict_h score with),
    shuffled together and cut into batches of b queries, each scored against every entity as
    tail: our batches exactly. Two reasons not to use the stock loop: (1) it ignores
    create_inverse_triples, scoring raw relation ids r with the direct head form, so the rows it
    trains (0..R-1) are not the rows PyKEEN's evaluation reads (2r, 2r + 1): on a toy graph a
    model at train MRR 1.0 by its training-time scores got 0.10 from PyKEEN's evaluator; (2)
    it puts both directions of a triple in the same batch, and with Adagrad from a 1e-3 init
    (gradients below Adagrad's eps) that alone slows early training several-fold: 10 steps
    on WN18RR, d 500, give entity mean |w| 0.054 paired vs 0.185 mixed, identical model code.
    Non-reciprocal models: the stock loop's scoring (heads and tails of each triple), averaged
    over the two directions as ours is rather than added.
    """
    from torch.nn import functional
    from torch.utils.data import DataLoader, TensorDataset

    class OneToAllTrainingLoop(base):
        def _create_training_data_loader(self, triples_factory, sampler, **kwargs):
            model = self.model
            if not model.use_inverse_triples:
                return super()._create_training_data_loader(triples_factory, sampler, **kwargs)
            forward = model._prepare_batch(triples_factory.mapped_triples.clone(), index_relation=1).cpu()  # (h, 2r, t)
            inverse = model.relation_inverter.invert_(forward.flip(1).clone(), index=1)  # (t, 2r + 1, h)
            return DataLoader(dataset=TensorDataset(torch.cat([forward, inverse])), **kwargs)

        def _process_batch(self, batch, start, stop, label_smoothing=0.0, slice_size=None):
            model, n = self.model, self.model.num_entities
            hrt = batch[0][start:stop].to(model.device)
            directions = [(model.score_t(hr_batch=hrt[:, :2], slice_size=slice_size, mode=self.mode), hrt[:, 2])]
            if model.use_inverse_triples:
                model.entity_representations[0](indices=hrt[:, 2])  # the tails' factors, for the regulariser
            else:
                directions.append((model.score_h(rt_batch=hrt[:, 1:], slice_size=slice_size, mode=self.mode), hrt[:, 0]))
            return sum(
                self.loss.process_lcwa_scores(
                    predictions=scores, labels=functional.one_hot(target, num_classes=n).float(),
                    label_smoothing=label_smoothing, num_entities=n,
                )
                for scores, target in directions
            ) / len(directions) + model.collect_regularization_term()

    return OneToAllTrainingLoop


if __name__ == "__main__":
    main()
