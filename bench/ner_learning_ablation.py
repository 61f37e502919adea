"""CoNLL04 dev: how fast kgx_ner learns through the shared encoder, beside spaCy's ner.

300 steps of configs/ner_trf.cfg (1,000 padded words a batch, Adam 1e-4, warmup_linear),
dev ``ents_f`` every 50 steps, one variant per run:

- the default (summed tagging loss, Glorot output layer, the tagger's weights at 10× the
  optimizer's rate: ``learn_rate_scale``);
- the tagger at the optimizer's rate (``learn_rate_scale`` 1);
- everything at 2e-4 instead (``learn_rate_scale`` 1);
- spaCy's ``ner`` on the same encoder (bench/configs/spacy_ner_trf.cfg).

    python bench/ner_learning_ablation.py [--max-steps 300] [--variants NAME ...]
    two cores: --train-only with half the variants each, side by side; then the command
    alone writes the result (finished runs are reused)

Writes bench/results/ner-learning-ablation.json (each run's budget and dev curve).
"""

import argparse
import os
import time

from common import REPO, WORK, convert, train, write_result

NER = REPO / "configs" / "ner_trf.cfg"
# name: (label, config, overrides)
VARIANTS = {
    "sum_loss_glorot": ("summed loss, Glorot output, the tagger at the optimizer's rate", NER,
                        ("--components.kgx_ner.learn_rate_scale", "1")),
    "sum_loss_glorot_head_lr_x10": ("summed loss, Glorot output, the tagger at 10× the rate (**the default**)", NER, ()),
    "sum_loss_glorot_lr_2e-4": ("summed loss, Glorot output, everything at 2e-4", NER,
                                ("--components.kgx_ner.learn_rate_scale", "1",
                                 "--training.optimizer.learn_rate.initial_rate", "2e-4")),
    "spacy_ner": ("spaCy's `ner` on the same encoder (`bench/configs/spacy_ner_trf.cfg`)",
                  REPO / "bench" / "configs" / "spacy_ner_trf.cfg", ()),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--train-only", action="store_true", help="train the variants, write nothing")
    parser.add_argument("--gpu-id", type=int, default=-1)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    corpus = convert("conll04")
    metrics, curves = {}, {}
    for name in args.variants:
        _, config, overrides = VARIANTS[name]
        spent = train(config, corpus, WORK / f"ner-ablation-{name}", args.max_steps, args.gpu_id,
                      *overrides, "--training.eval_frequency", "50", curve=("ents_f",))
        curves[name] = spent.pop("dev_curve")
        metrics[f"{name}_dev_ents_f"] = max(point["ents_f"] for point in curves[name])
        metrics.update({f"{name}_{k}": v for k, v in spent.items()})
    if args.train_only:
        return
    # the whole ablation's budget, as recipe-ablation.json records it: every variant's run
    metrics["train_seconds"] = round(sum(metrics[f"{name}_train_seconds"] for name in args.variants), 1)
    metrics["train_steps"] = sum(metrics[f"{name}_train_steps"] for name in args.variants)
    write_result(
        "ner-learning-ablation", "conll04", "dev", metrics, time.time() - started, args.gpu_id,
        "bench/ner_learning_ablation.py", dev_curves=curves,
        variant_labels={name: VARIANTS[name][0] for name in args.variants},
        notes="Each run on one core (taskset, OMP_NUM_THREADS=1), two at a time. The mean-loss and "
              "zero-initialised-output rows of the first probe needed the code of 82cadacf and are not rerun.",
    )


if __name__ == "__main__":
    main()
