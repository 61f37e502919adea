"""CoNLL04 dev: which training recipe makes the joint model learn most within its budget.

Every variant is configs/joint_trf.cfg (the relation ablation's winner, mean-pooled spans
+ geometry) with only its recipe changed: averaged weights (thinc's ``use_averages``, an
exponential moving average of every parameter, the encoder's included, used to evaluate
and save), the number of steps the schedule runs for, the peak learning rate, training the
relation head on the predicted entities too, the relation head's dropout. Same seed and batches; the dev
curve of strict ``rel_micro_f`` and ``ents_f`` decides (the test split is not touched).

    python bench/recipe_ablation.py [--variants averaged_1100,...] [--gpu-id -1]

Writes bench/results/recipe-ablation.json; a finished variant is reused when the script is
run again (``common.train``), so variants can train on separate cores first.
"""

import argparse
import os

from common import joint_ablation

AVERAGES = ("--training.optimizer.use_averages", "true")
VARIANTS = {  # name: (label, steps, overrides)
    "plain_1100": ("raw weights, 1,100 steps", 1100, ()),
    "averaged_1100": ("averaged weights, 1,100 steps", 1100, AVERAGES),
    "averaged_1600": ("averaged weights, 1,600 steps", 1600, AVERAGES),
    "lr3e-4_1100": ("raw weights, learning rate 3e-4 (not 1e-4), 1,100 steps", 1100,
                    ("--training.optimizer.learn_rate.initial_rate", "3e-4")),
    "predicted_1100": ("relations also trained on the predicted entities, 1,100 steps", 1100,
                       ("--training.annotating_components", '["kgx_ner"]',
                        "--components.kgx_relation_classifier.train_on_predicted_entities", "true")),
    "dropout3_1100": ("relation head dropout 0.3 (not 0.1), 1,100 steps", 1100,
                      ("--components.kgx_relation_classifier.model.dropout", "0.3")),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--gpu-id", type=int, default=-1)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    chosen = {name: VARIANTS[name] for name in args.variants.split(",")}
    joint_ablation("recipe-ablation", "bench/recipe_ablation.py", chosen, "conll04-recipe", args.gpu_id)


if __name__ == "__main__":
    main()
