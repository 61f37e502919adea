"""DeepKE attribute extraction, Chinese: entity + attribute + normalised value on test.

configs/attr_zh_trf.cfg (zh character tokens; transformer + kgx_ner + kgx_attribute_tagger)
trained on train, chosen on dev, scored on test. ``attr_f``: entity span + attribute +
normalised value must all match (the entities are the tagger's own predictions).

    python bench/deepke_ae_zh.py [--max-steps 1500] [--gpu-id -1] [--skip-train]

Writes bench/results/deepke-ae-zh.json.
"""

import argparse
import os
import time

import spacy

from common import REPO, WORK, convert, evaluate, load_docs, measure_encoder_training, measure_speed, train, write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=1500)
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--skip-train", action="store_true", help="reuse the trained model")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    corpus = convert("deepke-ae")
    output = WORK / "deepke-ae-zh"
    spent = {}
    if not args.skip_train:
        spent = train(REPO / "configs" / "attr_zh_trf.cfg", corpus, output, args.max_steps, args.gpu_id, curve=("ents_f", "attr_f"))
    curve = spent.pop("dev_curve", None)
    scores = evaluate(output / "model-best", corpus / "test.spacy", args.gpu_id)
    metrics = {
        "attr_f": scores["attr_f"],
        "attr_p": scores["attr_p"],
        "attr_r": scores["attr_r"],
        "ents_f": scores["ents_f"],
        **spent,
        "tokenizer": "spacy zh, char segmenter",
        "attr_f_per_type": {k: round(v["f"], 4) for k, v in scores["attr_f_per_type"].items()},
    }
    print(f"test attr_f {metrics['attr_f']:.4f}, ents_f {metrics['ents_f']:.4f}", flush=True)
    nlp = spacy.load(output / "model-best")
    texts = [doc.text for doc in load_docs(corpus / "test.spacy", nlp)]
    metrics.update(measure_speed(nlp, texts, args.gpu_id))
    metrics.update(measure_encoder_training(load_docs(corpus / "train.spacy", nlp), args.gpu_id))
    write_result(
        "deepke-ae-zh", "deepke_ae_zh", "test", metrics, time.time() - started, args.gpu_id, "bench/deepke_ae_zh.py",
        **({"dev_curves": {"attr_zh_dev": curve}} if curve else {}),
    )


if __name__ == "__main__":
    main()
