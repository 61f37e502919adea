"""KnowledgeNet: all 15 properties (12 relations, 3 date attributes) jointly on one encoder.

configs/joint_attr_trf.cfg (transformer + kgx_ner + kgx_relation_classifier +
kgx_attribute_tagger) trained on folds 1–2, chosen and calibrated on fold 3, scored on fold 4:

- ``attr_f``: the date attributes, entity span + attribute + normalised value (xsd:date …).
- ``text_f1``: every fact, KnowledgeNet's own ``span_overlap`` rule (same property, subject
  and object spans overlap; only the properties each passage is annotated for).

    python bench/knowledgenet_attributes.py [--max-steps 1500] [--gpu-id -1] [--skip-train]

Writes bench/results/knowledgenet-attributes.json.
"""

import argparse
import os
import time

import spacy

from common import REPO, WORK, convert, evaluate, load_docs, measure_encoder_training, measure_speed, train, write_result
from kgx_spacy.cli.calibrate import calibrate_model
from kgx_spacy.corpora.knowledgenet import span_overlap_score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=1500)
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--skip-train", action="store_true", help="reuse the trained model")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    corpus = convert("knowledgenet")
    output = WORK / "knowledgenet-joint"
    spent = {}
    if not args.skip_train:
        spent = train(REPO / "configs" / "joint_attr_trf.cfg", corpus, output, args.max_steps, args.gpu_id,
                      curve=("ents_f", "rel_micro_f", "attr_f"))
    curve = spent.pop("dev_curve", None)
    calibrated = output / "calibrated"
    calibration = calibrate_model(output / "model-best", corpus / "dev.spacy", calibrated, "kgx_relation_classifier")
    scores = evaluate(calibrated, corpus / "test.spacy", args.gpu_id)

    nlp = spacy.load(calibrated)
    gold = load_docs(corpus / "test.spacy", nlp)
    predicted = list(nlp.pipe(doc.text for doc in gold))
    text = span_overlap_score(zip(predicted, gold))
    metrics = {
        "text_f1": text["text_f1"],
        "text_p": text["text_p"],
        "text_r": text["text_r"],
        "attr_f": scores["attr_f"],
        "attr_p": scores["attr_p"],
        "attr_r": scores["attr_r"],
        "ents_f": scores["ents_f"],
        "rel_micro_f": scores["rel_micro_f"],
        "dev_ece_before": calibration.ece_before,
        "dev_ece_after": calibration.ece_after,
        **spent,
        "text_f1_per_property": {k: round(v, 4) for k, v in text["text_f1_per_property"].items()},
        "attr_f_per_type": {k: round(v["f"], 4) for k, v in scores["attr_f_per_type"].items()},
    }
    print(f"test text_f1 {metrics['text_f1']:.4f}, attr_f {metrics['attr_f']:.4f}, rel {metrics['rel_micro_f']:.4f}", flush=True)
    metrics.update(measure_speed(nlp, [doc.text for doc in gold], args.gpu_id))
    metrics.update(measure_encoder_training(load_docs(corpus / "train.spacy", nlp), args.gpu_id))
    write_result(
        "knowledgenet-attributes", "knowledgenet", "test (fold 4)", metrics, time.time() - started, args.gpu_id,
        "bench/knowledgenet_attributes.py", **({"dev_curves": {"joint_dev": curve}} if curve else {}),
    )


if __name__ == "__main__":
    main()
