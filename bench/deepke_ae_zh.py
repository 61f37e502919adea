"""DeepKE attribute extraction, Chinese: entity + attribute + normalised value on test,
transformer against spaCy's hash-embedding CNN.

configs/attr_zh_trf.cfg (zh character tokens; MiniLM + kgx_ner + kgx_attribute_tagger) and
configs/attr_zh_cnn.cfg (the same heads on a character CNN) are trained on train, chosen on
dev, scored on test. ``attr_f``: entity span + attribute + normalised value must all match
(the entities are the pipeline's own predictions). The headline ``attr_f`` is the encoder
with the better dev score (``chosen``); each encoder's figures stand under its prefix.

    python bench/deepke_ae_zh.py [--max-steps 1500] [--cnn-steps 6000] [--gpu-id -1]
        [--train-only trf|cnn]

--train-only trains one encoder and stops (run the two on two cores, then the script
without it: finished runs are reused, killed ones resumed, so a rerun costs no training).

Writes bench/results/deepke-ae-zh.json.
"""

import argparse
import os
import time

import spacy

from common import REPO, WORK, convert, evaluate, load_docs, measure_encoder_training, measure_speed, train, write_result

CONFIGS = {"trf": "attr_zh_trf.cfg", "cnn": "attr_zh_cnn.cfg"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=1500, help="transformer steps")
    parser.add_argument("--cnn-steps", type=int, default=6000)
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--train-only", choices=sorted(CONFIGS), help="train this encoder, then stop")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    corpus = convert("deepke-ae")
    steps = {"trf": args.max_steps, "cnn": args.cnn_steps}
    outputs = {name: WORK / f"deepke-ae-zh-{name}" for name in CONFIGS}
    metrics, curves, dev = {}, {}, {}
    for name in ([args.train_only] if args.train_only else CONFIGS):
        spent = train(REPO / "configs" / CONFIGS[name], corpus, outputs[name], steps[name], args.gpu_id, curve=("ents_f", "attr_f"))
        curves[f"attr_zh_{name}_dev"] = spent.pop("dev_curve")
        dev[name] = max(point.get("attr_f", 0.0) for point in curves[f"attr_zh_{name}_dev"])
        metrics.update({f"{name}_{k}": v for k, v in spent.items()})
    if args.train_only:
        return
    for name, output in outputs.items():
        scores = evaluate(output / "model-best", corpus / "test.spacy", args.gpu_id)
        metrics.update({f"{name}_{k}": scores[k] for k in ("attr_f", "attr_p", "attr_r", "ents_f")})
        metrics[f"{name}_attr_f_per_type"] = {k: round(v["f"], 4) for k, v in scores["attr_f_per_type"].items()}
        print(f"{name}: test attr_f {scores['attr_f']:.4f}, ents_f {scores['ents_f']:.4f}", flush=True)
        nlp = spacy.load(output / "model-best")
        texts = [doc.text for doc in load_docs(corpus / "test.spacy", nlp)]
        speed = measure_speed(nlp, texts, args.gpu_id)
        metrics[f"{name}_words_per_second"] = speed.pop("words_per_second")
        metrics.update(speed)  # the encoder's own figures, the same for both
    chosen = max(dev, key=dev.get)
    metrics.update({k: metrics[f"{chosen}_{k}"] for k in ("attr_f", "attr_p", "attr_r", "ents_f", "words_per_second")})
    metrics.update({k: metrics.get(f"{chosen}_{k}") for k in ("train_seconds", "train_words_per_second", "train_steps", "train_epochs")})
    metrics.update(chosen=chosen, dev_attr_f={name: round(v, 4) for name, v in dev.items()}, tokenizer="spacy zh, char segmenter")
    metrics.update(measure_encoder_training(load_docs(corpus / "train.spacy", spacy.blank("zh")), args.gpu_id))
    write_result(
        "deepke-ae-zh", "deepke_ae_zh", "test", metrics, time.time() - started, args.gpu_id, "bench/deepke_ae_zh.py",
        dev_curves=curves,
    )


if __name__ == "__main__":
    main()
