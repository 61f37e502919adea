"""CoNLL04 joint NER + relations on one encoder, joint and step-wise, strict relation F1.

Joint: configs/joint_trf.cfg (transformer + kgx_ner + kgx_relation_classifier, one loss).
Step-wise: configs/ner_trf.cfg (NER steps), then configs/stepwise_rel_trf.cfg on that NER,
frozen (relation steps); its ``stepwise_train_seconds`` is both runs together, to stand
beside the joint run's at the same budget. Both are calibrated on dev (``kgx calibrate``),
then scored on test with the entities they predict themselves.

    python bench/conll04_joint.py [--max-steps 1100] [--ner-steps 900] [--stepwise-steps 600]
        [--gpu-id -1] [--skip-train] [--joint-only] [--train-only joint|stepwise]

--train-only trains one side and stops (run the two sides on two cores, then the script
without it: finished runs are reused, killed ones resumed).

Writes bench/results/conll04-joint.json (conll04-joint-gpu.json with a GPU).
"""

import argparse
import os
import time

import spacy

from common import REPO, WORK, best_of, convert, evaluate, load_docs, measure_encoder_training, measure_speed, train, write_result
from kgx_spacy.cli.calibrate import calibrate_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=1100)
    parser.add_argument("--ner-steps", type=int, default=900)
    parser.add_argument("--stepwise-steps", type=int, default=600)
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--skip-train", action="store_true", help="reuse trained models")
    parser.add_argument("--joint-only", action="store_true", help="leave out the step-wise pipeline")
    parser.add_argument("--train-only", choices=["joint", "stepwise"], help="train this side, then stop")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    corpus = convert("conll04")
    metrics, curves = {}, {}

    joint = WORK / "conll04-joint"
    ner = WORK / f"conll04-stepwise-ner-{args.ner_steps}"
    stepwise = WORK / "conll04-stepwise"
    runs = [(joint, "")] if args.joint_only else [(joint, ""), (stepwise, "stepwise_")]
    if not args.skip_train:
        budgets = {}
        if args.train_only in (None, "joint"):
            budgets[""] = train(REPO / "configs" / "joint_trf.cfg", corpus, joint, args.max_steps, args.gpu_id)
        if not args.joint_only and args.train_only in (None, "stepwise"):
            ner_spent = train(REPO / "configs" / "ner_trf.cfg", corpus, ner, args.ner_steps, args.gpu_id, curve=("ents_f",))
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

    nlp = spacy.load(joint / "calibrated")
    gold = load_docs(corpus / "test.spacy", nlp)
    metrics.update(measure_speed(nlp, [doc.text for doc in gold], args.gpu_id))
    metrics.update(measure_encoder_training(load_docs(corpus / "train.spacy", nlp), args.gpu_id))
    metrics.update(time_many_entities(nlp, gold))
    write_result(
        "conll04-joint", "conll04", "test", metrics, time.time() - started, args.gpu_id, "bench/conll04_joint.py",
        dev_curves=curves,
    )


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
