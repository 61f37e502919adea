"""The default pipeline on one GPU: train a fixed number of steps, evaluate, time extraction.

The ``run`` stage of ``bench/gpu.sh`` (see there for the stages that carry and install
what a bare GPU machine needs). On the GPU ``--gpu-id 0``; on CPU ``--gpu-id -1`` (what the
test runs, with a tiny encoder and a few steps, so that the script cannot rot):

1. ``spacy train configs/default_en.cfg`` for ``--steps`` steps on the WebNLG corpus of
   ``project.yml`` (``--data``: a folder holding ``train.spacy``, ``dev.spacy``, ``kb/``,
   ``kge/``), with the encoder ``--encoder`` (a name or a local folder);
2. its scores on dev (``nlp.evaluate``: entities, links, relations, attributes);
3. ``nlp.pipe`` words/s of the trained pipeline over the dev texts at batch sizes 64 to
   1,024 (best of ``--repeats``), beside the encoder alone on the same texts and device.

    python bench/gpu.py --data .gpu/data --encoder .gpu/encoder --gpu-id 0 --steps 600 --output gpu.json

Writes one JSON (``--output``; bench/results/gpu.json by default).
"""

import argparse
import time
from pathlib import Path

import spacy
from common import REPO, RESULTS, best_of, encoder_seconds, evaluate, load_docs, machine, train, write_result

BATCH_SIZES = (64, 128, 256, 512, 1024)
CURVE = ("ents_f", "el_micro_f", "el_accuracy", "rel_micro_f", "attr_f")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True, help="train.spacy, dev.spacy, kb/, kge/")
    parser.add_argument("--encoder", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--gpu-id", type=int, default=0)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--texts", type=int, default=0, help="dev texts timed (0: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--eval-every", type=int, default=0, help="steps between dev evaluations (0: the config's)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work" / "gpu")
    parser.add_argument("--output", type=Path, default=RESULTS / "gpu.json")
    args = parser.parse_args()
    started = time.time()
    model_dir = args.work / "default"
    spent = train(
        REPO / "configs" / "default_en.cfg", args.data, model_dir, args.steps, args.gpu_id,
        "--paths.kb", str(args.data / "kb"), "--paths.kge", str(args.data / "kge"),
        "--paths.encoder", str(args.encoder),
        *(["--training.eval_frequency", str(args.eval_every)] if args.eval_every else []),
        curve=CURVE, reuse=False,
    )
    model = model_dir / "model-best"
    scores = evaluate(model, args.data / "dev.spacy", args.gpu_id)
    metrics = {name: scores.get(name) for name in CURVE}

    nlp = spacy.load(model)  # on the GPU: evaluate() made it the current device
    texts = [doc.text for doc in load_docs(args.data / "dev.spacy", nlp)]
    texts = texts[: args.texts] if args.texts else texts
    words = sum(len(doc) for doc in nlp.tokenizer.pipe(texts))
    list(nlp.pipe(texts[:64], batch_size=64))  # warm-up
    for size in BATCH_SIZES:
        seconds = best_of(args.repeats, lambda: [None for _ in nlp.pipe(texts, batch_size=size)])
        metrics[f"words_per_second_batch_{size}"] = words / seconds
    metrics["words_per_second"] = max(metrics[f"words_per_second_batch_{size}"] for size in BATCH_SIZES)
    metrics["encoder_words_per_second"] = words / encoder_seconds(texts, args.gpu_id, args.encoder, args.repeats)
    metrics["speed_words"] = words
    metrics.update({k: v for k, v in spent.items() if k != "dev_curve"})
    write_result(
        "gpu", "webnlg_2020_v3.0_en", "dev", metrics, time.time() - started, args.gpu_id, "bench/gpu.py",
        output=args.output, dev_curves={"default": spent["dev_curve"]},
        notes=(
            f"The default pipeline (configs/default_en.cfg) trained {args.steps} steps on {machine(args.gpu_id)}, "
            "scored on WebNLG dev with nlp.evaluate; nlp.pipe words/s of the trained pipeline over the dev texts "
            f"at batch sizes {', '.join(map(str, BATCH_SIZES))} (best of {args.repeats}), beside the encoder alone "
            "on the same texts and device."
        ),
    )


if __name__ == "__main__":
    main()
