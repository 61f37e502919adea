"""CoNLL04 dev: which pair representation makes the joint relation classifier learn best.

Every variant is configs/joint_trf.cfg, with the recipe it had then (1,000-word batches,
learning rate 1e-4), with only the relation model's pair features changed
(``kgx.PairClassifier.v2``: span pooling, geometry buckets), trained for the same steps with
the same schedule and seed; the dev curve of strict ``rel_micro_f`` decides
(the test split is not touched). One more row keeps the v1 features and evaluates
Polyak-averaged weights (thinc's ``use_averages``), against the noise of the dev curve.

    python bench/pair_ablation.py [--max-steps 800] [--variants mean,max,...] [--gpu-id -1]

Writes bench/results/relation-pair-ablation.json; a finished variant is reused when the
script is run again (``common.train``).
"""

import argparse
import os

from common import joint_ablation
from recipe_ablation import LARGE_BATCHES

MODEL = "--components.kgx_relation_classifier.model"
VARIANTS = {  # name: (label, pooling, geometry, other overrides)
    "mean": ("v1: mean-pooled spans", "mean", False, ()),
    "max": ("max-pooled spans", "max", False, ()),
    "mean_max": ("mean + max pooled spans", "mean_max", False, ()),
    "mean_geometry": ("mean-pooled spans + width/gap/order buckets", "mean", True, ()),
    "max_geometry": ("max-pooled spans + width/gap/order buckets", "max", True, ()),
    "mean_averaged": ("v1 features, Polyak-averaged weights", "mean", False,
                      ("--training.optimizer.use_averages", "true")),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=800)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--gpu-id", type=int, default=-1)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    chosen = {}
    for name in args.variants.split(","):
        label, pooling, geometry, others = VARIANTS[name]
        overrides = (*LARGE_BATCHES, f"{MODEL}.@architectures", "kgx.PairClassifier.v2", f"{MODEL}.pooling", pooling,
                     f"{MODEL}.geometry", str(geometry).lower(), *others)
        chosen[name] = (label, args.max_steps, overrides)
    joint_ablation("relation-pair-ablation", "bench/pair_ablation.py", chosen, "conll04-pairs", args.gpu_id)


if __name__ == "__main__":
    main()
