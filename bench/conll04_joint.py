"""CoNLL04 joint NER + relations on one encoder, joint and step-wise, strict relation F1.

Joint: configs/joint_trf.cfg (transformer + kgx_ner + kgx_relation_classifier, one loss).
Step-wise: configs/ner_trf.cfg (NER steps), then configs/stepwise_rel_trf.cfg on that NER,
frozen (relation steps); its ``stepwise_train_seconds`` is both runs together, to stand
beside the joint run's at the same budget. Both are calibrated on dev (``kgx calibrate``),
then scored on test with the entities they predict themselves.

SpERT's protocol, beside them (``train_dev_*``): SpERT chose its settings on this dev split,
then trained its final CoNLL04 model on train + dev (1,153 sentences) and scored it on test.
The joint recipe, as chosen on dev, is trained the same way for the same steps; its last
step is scored (dev is in its training data: no model-best choice and no calibration on it,
the default threshold 0.5).

    python bench/conll04_joint.py [--max-steps 4000] [--ner-steps 3000] [--stepwise-steps 1000]
        [--gpu-id -1] [--skip-train] [--joint-only] [--train-only joint|stepwise|train_dev]

--train-only trains one side and stops (run the two sides on two cores, then the script
without it: finished runs are reused, killed ones resumed).

Writes bench/results/conll04-joint.json (conll04-joint-gpu.json with a GPU).
"""

import argparse
import os
import time

import spacy
from spacy.training import Example

from common import (
    REPO, WORK, best_of, convert, evaluate, load_docs, measure_encoder_training, measure_speed, merge_splits, train,
    write_result,
)
from kgx_spacy.cli.calibrate import calibrate_model


NOTES = (
    "Each run trained on one core (taskset, OMP_NUM_THREADS=1; run the --train-only sides on "
    "separate cores first); this command then calibrates on dev, scores on test and measures speed "
    "on the idle machine. Joint and step-wise: model-best by dev (0.7 rel_micro_f + 0.3 ents_f). "
    "train_dev_*: SpERT's protocol, the joint recipe trained on train + dev for the same steps, "
    "its last step scored uncalibrated (threshold 0.5). encoder_train_words_per_second: the encoder's "
    "own forward + backward on batches of the joint config's size, one thread."
)
# The step-wise NER trains with the joint config's batches, learning rate and evaluations.
JOINT_RECIPE = ("--training.batcher.size", "250", "--training.optimizer.learn_rate.initial_rate", "5e-5",
                "--training.eval_frequency", "200")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=4000)
    parser.add_argument("--ner-steps", type=int, default=3000)
    parser.add_argument("--stepwise-steps", type=int, default=1000)
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--skip-train", action="store_true", help="reuse trained models")
    parser.add_argument("--joint-only", action="store_true", help="leave out the step-wise and train + dev runs")
    parser.add_argument("--train-only", choices=["joint", "stepwise", "train_dev"], help="train this side, then stop")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    corpus = convert("conll04")
    metrics, curves = {}, {}

    joint = WORK / "conll04-joint"
    ner = WORK / f"conll04-stepwise-ner-{args.ner_steps}"
    stepwise = WORK / "conll04-stepwise"
    train_dev = WORK / "conll04-joint-train-dev"
    runs = [(joint, "")] if args.joint_only else [(joint, ""), (stepwise, "stepwise_")]
    if not args.skip_train:
        budgets = {}
        if args.train_only in (None, "joint"):
            budgets[""] = train(REPO / "configs" / "joint_trf.cfg", corpus, joint, args.max_steps, args.gpu_id)
        if not args.joint_only and args.train_only in (None, "train_dev"):
            budgets["train_dev_"] = train(
                REPO / "configs" / "joint_trf.cfg", corpus, train_dev, args.max_steps, args.gpu_id,
                train_file=merge_splits(corpus, ["train", "dev"]),
            )
        if not args.joint_only and args.train_only in (None, "stepwise"):
            ner_spent = train(
                REPO / "configs" / "ner_trf.cfg", corpus, ner, args.ner_steps, args.gpu_id, *JOINT_RECIPE, curve=("ents_f",)
            )
            budgets["stepwise_"] = train(
                REPO / "configs" / "stepwise_rel_trf.cfg", corpus, stepwise, args.stepwise_steps, args.gpu_id,
                "--paths.ner_model", str(ner / "model-best"),
            )
            budgets["stepwise_"]["train_seconds"] += ner_spent["train_seconds"]
            budgets["stepwise_"]["ner_train_steps"] = ner_spent["train_steps"]
            curves["stepwise_ner_dev"] = ner_spent["dev_curve"]
        if args.train_only:
            return
        for prefix, spent in budgets.items():
            curves[f"{prefix or 'joint_'}dev"] = spent.pop("dev_curve")
            metrics.update({f"{prefix}{k}": v for k, v in spent.items()})
    for name, prefix in runs:
        calibrated = name / "calibrated"
        result = calibrate_model(name / "model-best", corpus / "dev.spacy", calibrated, "kgx_relation_classifier")
        scores = evaluate(calibrated, corpus / "test.spacy", args.gpu_id)
        uncalibrated = evaluate(name / "model-best", corpus / "test.spacy", args.gpu_id)
        metrics.update(
            {
                f"{prefix}ents_f": scores["ents_f"],
                f"{prefix}rel_micro_p": scores["rel_micro_p"],
                f"{prefix}rel_micro_r": scores["rel_micro_r"],
                f"{prefix}rel_micro_f": scores["rel_micro_f"],
                f"{prefix}uncalibrated_rel_micro_f": uncalibrated["rel_micro_f"],
                f"{prefix}dev_ece_before": result.ece_before,
                f"{prefix}dev_ece_after": result.ece_after,
            }
        )
        print(f"{prefix or 'joint_'}: test rel_micro_f {scores['rel_micro_f']:.4f}, ents_f {scores['ents_f']:.4f}", flush=True)
    if not args.joint_only:
        scores = evaluate(train_dev / "model-last", corpus / "test.spacy", args.gpu_id)
        metrics.update({f"train_dev_{k}": scores[k] for k in ("ents_f", "rel_micro_p", "rel_micro_r", "rel_micro_f")})
        print(f"train_dev: test rel_micro_f {scores['rel_micro_f']:.4f}, ents_f {scores['ents_f']:.4f}", flush=True)

    nlp = spacy.load(joint / "calibrated")
    gold = load_docs(corpus / "test.spacy", nlp)
    # where the relations lose: given the gold entities, how far do they get?
    for split, docs in (("dev", load_docs(corpus / "dev.spacy", nlp)), ("test", gold)):
        scores = relations_on_gold_entities(nlp, docs)
        metrics.update({f"{split}_gold_entities_{k}": v for k, v in scores.items()})
    metrics.update(measure_speed(nlp, [doc.text for doc in gold], args.gpu_id))
    # the encoder's own step on the joint config's batches, on one core as the training ran
    batch_words = nlp.config["training"]["batcher"]["size"]
    metrics.update(measure_encoder_training(load_docs(corpus / "train.spacy", nlp), args.gpu_id, batch_words=batch_words, threads=1))
    metrics.update(time_many_entities(nlp, gold))
    write_result(
        "conll04-joint", "conll04", "test", metrics, time.time() - started, args.gpu_id, "bench/conll04_joint.py",
        dev_curves=curves, notes=NOTES,
    )


def relations_on_gold_entities(nlp, gold_docs) -> dict:
    """Strict relation P/R/F of the joint pipeline's relation classifier when the gold
    entities are given instead of the predicted ones (a diagnostic of where errors come from)."""
    docs = []
    for gold, doc in zip(gold_docs, nlp.pipe((g.text for g in gold_docs), disable=["kgx_ner", "kgx_relation_classifier"])):
        doc.ents = [doc.char_span(e.start_char, e.end_char, label=e.label_) for e in gold.ents]
        docs.append(doc)
    pipe = nlp.get_pipe("kgx_relation_classifier")
    scores = pipe.score([Example(doc, gold) for doc, gold in zip(pipe.pipe(docs), gold_docs)])
    return {k: scores[k] for k in ("rel_micro_p", "rel_micro_r", "rel_micro_f")}


def time_many_entities(nlp, gold_docs, n_entities: int = 200) -> dict:
    """Seconds the relation classifier takes on one Doc of about 200 (gold) entities."""
    texts, count = [], 0
    for doc in gold_docs:
        texts.append(doc.text)
        count += len(doc.ents)
        if count >= n_entities:
            break
    with nlp.select_pipes(disable=["kgx_relation_classifier"]):
        doc = nlp(" ".join(texts))
    pipe = nlp.get_pipe("kgx_relation_classifier")
    seconds = best_of(3, lambda: pipe(doc))
    return {"rel_entities_in_doc": len(doc.ents), "rel_candidates_in_doc": len(pipe.candidates(doc.ents)), "rel_seconds_for_doc": seconds}


if __name__ == "__main__":
    main()
