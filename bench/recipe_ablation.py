"""CoNLL04 dev: which training recipe makes the joint model learn most within its budget.

Every variant is configs/joint_trf.cfg (the relation ablation's winner, mean-pooled spans
+ geometry) with only its recipe changed: averaged weights (thinc's ``use_averages``, an
exponential moving average of every parameter, the encoder's included, used to evaluate
and save), the number of steps the schedule runs for, the peak learning rate, training the
relation head on the predicted entities too, the relation head's dropout, the batch size.
Same seed; the dev curve of strict ``rel_micro_f`` and ``ents_f`` decides (the test split
is not touched).

    python bench/recipe_ablation.py [--variants averaged_1100,...] [--gpu-id -1]

Writes bench/results/recipe-ablation.json; a finished variant is reused when the script is
run again (``common.train``), so variants can train on separate cores first.
"""

import argparse
import os

from common import joint_ablation

AVERAGES = ("--training.optimizer.use_averages", "true")
# configs/joint_trf.cfg's recipe before this ablation chose smaller batches
LARGE = ("--training.batcher.size", "1000", "--training.eval_frequency", "100")
LARGE_BATCHES = (*LARGE, "--training.optimizer.learn_rate.initial_rate", "1e-4")
SMALL_BATCHES = ("--training.batcher.size", "250", "--training.optimizer.learn_rate.initial_rate", "5e-5",
                 "--training.eval_frequency", "200")
VARIANTS = {  # name: (label, steps, overrides)
    "plain_1100": ("raw weights, 1,100 steps", 1100, LARGE_BATCHES),
    "averaged_1100": ("averaged weights, 1,100 steps", 1100, (*LARGE_BATCHES, *AVERAGES)),
    "averaged_1600": ("averaged weights, 1,600 steps", 1600, (*LARGE_BATCHES, *AVERAGES)),
    "lr3e-4_1100": ("raw weights, learning rate 3e-4 (not 1e-4), 1,100 steps", 1100,
                    (*LARGE, "--training.optimizer.learn_rate.initial_rate", "3e-4")),
    "predicted_1100": ("relations also trained on the predicted entities, 1,100 steps", 1100,
                       (*LARGE_BATCHES, "--training.annotating_components", '["kgx_ner"]',
                        "--components.kgx_relation_classifier.train_on_predicted_entities", "true")),
    "dropout3_1100": ("relation head dropout 0.3 (not 0.1), 1,100 steps", 1100,
                      (*LARGE_BATCHES, "--components.kgx_relation_classifier.model.dropout", "0.3")),
    "plain_1700": ("batches of 1,000 padded words, learning rate 1e-4 (as before), 1,700 steps", 1700, LARGE_BATCHES),
    "batch250_lr5e-5_4000": ("batches of 250 padded words (not 1,000), learning rate 5e-5, 4,000 steps", 4000,
                             SMALL_BATCHES),
    "batch250_lr1e-4_4000": ("batches of 250 padded words, learning rate 1e-4 (as before), 4,000 steps", 4000,
                             ("--training.batcher.size", "250", "--training.optimizer.learn_rate.initial_rate", "1e-4",
                              "--training.eval_frequency", "200")),
    "batch250_lr5e-5_4000_ner_wider": ("batches of 250, learning rate 5e-5, a wider NER head: maxout 256 (not 128), "
                                       "cased-word embedding and encoder 128 wide (not 64)", 4000,
                                       (*SMALL_BATCHES, "--components.kgx_ner.model.hidden_width", "256",
                                        "--components.kgx_ner.model.tok2vec.second.embed.width", "128",
                                        "--components.kgx_ner.model.tok2vec.second.encode.width", "128")),
    "batch250_lr5e-5_4000_context_max": ("batches of 250, learning rate 5e-5, the tokens between the spans max-pooled (SpERT)", 4000,
                                         (*SMALL_BATCHES, "--components.kgx_relation_classifier.model.context", "max")),
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
