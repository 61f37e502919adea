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

PyKEEN counterpart: 1-N → LCWA training loop, cross-entropy, inverse triples, PowerSum p=3
regulariser of the same weight; negative sampling → sLCWA, basic (uniform head/tail)
sampler, NSSA loss with the same γ and α, StepLR for the halfway decay.

Usage:
  python bench/kge.py wn18rr [--model complex|rotate|distmult|transe] [--dim D] [--epochs N] ...
  smoke run: python bench/kge.py wn18rr --dim 8 --epochs 1 --max-triples 3000 --max-eval 200 \\
      --output /tmp/kge-smoke.json
(KGX_DATA: data folder, default ../shared/data beside the repository.)
"""

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Dict, Optional

import torch

from kgx_spacy.kge import KGEModel, TrainingConfig, TriplesFactory, evaluate, pick_device, read_triples, train

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
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
    parser.add_argument("--output", type=Path, help="default: bench/results/kge-<dataset>.json")
    args = parser.parse_args()
    started = time.perf_counter()

    recipe = RECIPES[(args.model, args.dataset)]
    overrides = {
        "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "n3_weight": args.n3,
        "negatives": args.negatives, "margin": args.margin, "adversarial_temperature": args.temperature,
    }
    config = replace(
        recipe["training"], seed=args.seed, device=args.device,
        **{key: value for key, value in overrides.items() if value is not None},
    )
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

    model = KGEModel(args.model, factory, dim, reciprocal=recipe["reciprocal"], init_scale=init_scale, seed=args.seed)
    result = train(model, ids["train"], config, on_epoch=lambda e, loss: print(f"epoch {e}: loss {loss:.4f}", flush=True))
    ours = evaluate(model, ids["test"], [ids["train"], ids["valid"]], batch_size=args.eval_batch_size)
    metrics = {
        "mrr": ours["mrr"], "hits_at_1": ours["hits_at_1"], "hits_at_3": ours["hits_at_3"],
        "hits_at_10": ours["hits_at_10"], "seconds_per_epoch": result.seconds_per_epoch,
    }
    print(f"kgx_spacy: {metrics}", flush=True)
    del model
    if device.type == "cuda":
        torch.cuda.empty_cache()

    if args.no_pykeen:
        print("pykeen: skipped (--no-pykeen)")
    elif importlib.util.find_spec("pykeen") is None:
        print("pykeen: not importable, so no side-by-side figures (pip install pykeen)")
    else:
        metrics.update(run_pykeen(args.model, factory, ids, dim, recipe["reciprocal"], config, device, args))
        print(f"pykeen: { {k: v for k, v in metrics.items() if k.startswith('pykeen_')} }", flush=True)

    metrics.update(
        model=args.model, dim=dim, epochs=config.epochs, batch_size=config.batch_size,
        negatives=config.negatives if config.mode == "negative-sampling" else None,
        train_triples=len(ids["train"]), test_triples=len(ids["test"]),
    )
    write_result(args.dataset, metrics, time.perf_counter() - started, device, args.output)


def run_pykeen(model: str, factory: TriplesFactory, ids: Dict, dim: int, reciprocal: bool, config: TrainingConfig, device, args) -> Dict[str, float]:
    """The same ids, model, dimension, epochs, batch size, optimiser, loss and negatives in PyKEEN."""
    from pykeen.pipeline import pipeline
    from pykeen.triples import TriplesFactory as PyKEENFactory

    def pykeen_triples(triples):
        return PyKEENFactory(
            mapped_triples=triples, entity_to_id=factory.entity_to_id, relation_to_id=factory.relation_to_id,
            create_inverse_triples=reciprocal,
        )

    model_kwargs = {"embedding_dim": dim}
    if model == "transe":
        model_kwargs["scoring_fct_norm"] = 1
    kwargs = dict(
        training=pykeen_triples(ids["train"]), validation=pykeen_triples(ids["valid"]),
        testing=pykeen_triples(ids["test"]), model=PYKEEN_MODELS[model], model_kwargs=model_kwargs,
        optimizer=config.optimizer, optimizer_kwargs={"lr": config.lr},
        training_kwargs={"num_epochs": config.epochs, "batch_size": config.batch_size},
        evaluation_kwargs={"batch_size": args.eval_batch_size}, random_seed=args.seed,
        device=str(device), use_tqdm=False,
    )
    if config.n3_weight:
        kwargs.update(regularizer="powersum", regularizer_kwargs={"p": 3.0, "weight": config.n3_weight})
    if config.mode == "1-n":
        kwargs.update(training_loop="lcwa", loss="crossentropy")
    else:
        kwargs.update(
            training_loop="slcwa", negative_sampler="basic",
            negative_sampler_kwargs={"num_negs_per_pos": config.negatives},
            loss="nssa", loss_kwargs={"margin": config.margin, "adversarial_temperature": config.adversarial_temperature},
        )
        if config.lr_decay_epoch is not None:
            kwargs.update(lr_scheduler="StepLR", lr_scheduler_kwargs={"step_size": config.lr_decay_epoch - 1, "gamma": 0.1})
    result = pipeline(**kwargs)
    get = result.metric_results.get_metric
    return {
        "pykeen_mrr": get("both.realistic.inverse_harmonic_mean_rank"),
        "pykeen_hits_at_1": get("both.realistic.hits_at_1"),
        "pykeen_hits_at_10": get("both.realistic.hits_at_10"),
        "pykeen_seconds_per_epoch": result.train_seconds / config.epochs,
    }


def machine(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{os.cpu_count()}-core CPU ({platform.processor() or platform.machine()}), {platform.system()}, Python {platform.python_version()}"


def write_result(dataset: str, metrics: Dict, seconds: float, device: torch.device, output: Optional[Path]) -> None:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    result = {
        "benchmark": f"kge-{dataset}",
        "dataset": dataset,
        "split": "test",
        "commit": commit,
        "machine": machine(device),
        "encoder": None,
        "seconds": round(seconds, 1),
        "metrics": {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items() if v is not None},
        "command": " ".join(["python", "bench/kge.py", *sys.argv[1:]]),
    }
    path = output or RESULTS / f"kge-{dataset}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
