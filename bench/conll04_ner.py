"""CoNLL04 NER: transformer + kgx_ner beside spaCy's ner on the same encoder, data and budget.

Trains both with ``spacy train`` on train, keeps the best model on dev, reports strict
span+type F1 on test, then times ``nlp.pipe`` against the encoder's own forward pass.

    python bench/conll04_ner.py [--max-steps 1500] [--gpu-id -1] [--skip-train]

Writes bench/results/conll04-ner.json (conll04-ner-gpu.json with a GPU).
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
    parser.add_argument("--skip-train", action="store_true", help="reuse trained models")
    parser.add_argument("--batch-size", type=int, help="nlp.batch_size for the speed run (default: the model's)")
    parser.add_argument("--max-batch-items", type=int, help="the transformer's max_batch_items for the speed run")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    corpus = convert("conll04")
    runs = {  # name: (config, metric prefix)
        "kgx_ner": (REPO / "configs" / "ner_trf.cfg", ""),
        "spacy_ner": (REPO / "bench" / "configs" / "spacy_ner_trf.cfg", "spacy_ner_"),
    }
    metrics, curves = {}, {}
    for name, (config, prefix) in runs.items():
        output = WORK / f"conll04-{name}"
        if not args.skip_train:
            spent = train(config, corpus, output, args.max_steps, args.gpu_id, curve=("ents_f",))
            curves[f"{name}_dev"] = spent.pop("dev_curve")
            metrics.update({prefix + k: v for k, v in spent.items()})
        scores = evaluate(output / "model-best", corpus / "test.spacy", args.gpu_id)
        for key in ("ents_f", "ents_p", "ents_r"):
            metrics[prefix + key] = scores[key]
        metrics[prefix + "dev_ents_f"] = evaluate(output / "model-best", corpus / "dev.spacy", args.gpu_id)["ents_f"]
        print(f"{name}: test ents_f {scores['ents_f']:.4f}, dev {metrics[prefix + 'dev_ents_f']:.4f}", flush=True)
    nlp = spacy.load(WORK / "conll04-kgx_ner" / "model-best", config=speed_overrides(args))
    texts = [doc.text for doc in load_docs(corpus / "test.spacy", nlp)]
    metrics.update(measure_speed(nlp, texts, args.gpu_id))
    metrics.update(measure_encoder_training(load_docs(corpus / "train.spacy", nlp), args.gpu_id))
    write_result(
        "conll04-ner", "conll04", "test", metrics, time.time() - started, args.gpu_id, "bench/conll04_ner.py",
        dev_curves=curves,
    )


def speed_overrides(args) -> dict:
    """Inference-only settings for the speed run (they do not change what is predicted)."""
    overrides = {}
    if args.batch_size:
        overrides["nlp"] = {"batch_size": args.batch_size}
    if args.max_batch_items:
        overrides["components"] = {"transformer": {"max_batch_items": args.max_batch_items}}
    return overrides


if __name__ == "__main__":
    main()
