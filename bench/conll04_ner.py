"""CoNLL04 NER: transformer + kgx_ner beside spaCy's ner on the same encoder, data and budget.

Trains both with ``spacy train`` on train, keeps the best model on dev, reports strict
span+type F1 on test, then times ``nlp.pipe`` against the encoder's own forward pass.

    python bench/conll04_ner.py [--max-steps 1500] [--gpu-id -1]

Writes bench/results/conll04-ner.json (or conll04-ner-gpu.json with a GPU).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import spacy
from spacy.tokens import DocBin
from spacy.training import Example

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "work"
RESULTS = REPO / "bench" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=1500)
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--skip-train", action="store_true", help="reuse trained models")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    corpus = convert()
    runs = {
        "kgx_ner": REPO / "configs" / "ner_trf.cfg",
        "spacy_ner": REPO / "bench" / "configs" / "spacy_ner_trf.cfg",
    }
    metrics = {}
    for name, config in runs.items():
        output = WORK / f"conll04-{name}"
        if not args.skip_train:
            train(config, corpus, output, args.max_steps, args.gpu_id)
        scores = evaluate(output / "model-best", corpus / "test.spacy", args.gpu_id)
        prefix = "" if name == "kgx_ner" else "spacy_ner_"
        metrics[f"{prefix}ents_f"] = scores["ents_f"]
        metrics[f"{prefix}ents_p"] = scores["ents_p"]
        metrics[f"{prefix}ents_r"] = scores["ents_r"]
        print(f"{name}: test ents_f {scores['ents_f']:.4f}", flush=True)
    speed = measure_speed(WORK / "conll04-kgx_ner" / "model-best", corpus / "test.spacy", args.gpu_id)
    metrics.update(speed)
    write_result(metrics, time.time() - started, args)


def convert() -> Path:
    """CoNLL04 DocBins through the project's converter (``kgx convert``)."""
    out = WORK / "conll04"
    if not all((out / f"{split}.spacy").exists() for split in ("train", "dev", "test")):
        run([sys.executable, "-m", "kgx_spacy.cli", "convert", "conll04", str(out)])
    return out


def train(config: Path, corpus: Path, output: Path, max_steps: int, gpu_id: int) -> None:
    run(
        [
            sys.executable, "-m", "spacy", "train", str(config),
            "--output", str(output),
            "--paths.train", str(corpus / "train.spacy"),
            "--paths.dev", str(corpus / "dev.spacy"),
            "--training.max_steps", str(max_steps),
            "--training.optimizer.learn_rate.total_steps", str(max_steps),
            "--gpu-id", str(gpu_id),
        ]
    )


def load_docs(path: Path, nlp) -> list:
    return list(DocBin().from_disk(path).get_docs(nlp.vocab))


def evaluate(model: Path, test: Path, gpu_id: int) -> dict:
    if gpu_id >= 0:
        spacy.require_gpu(gpu_id)
    nlp = spacy.load(model)
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in load_docs(test, nlp)]
    return nlp.evaluate(examples)


def measure_speed(model: Path, test: Path, gpu_id: int, repeats: int = 3) -> dict:
    """Words/second of ``nlp.pipe`` and of the encoder's forward pass on the same texts.

    The encoder baseline gets the best treatment we know: inference mode, batches sorted
    by length, fast tokenizer, same batch size.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    from kgx_spacy.encoders import resolve_encoder

    nlp = spacy.load(model)
    texts = [doc.text for doc in load_docs(test, nlp)]
    n_words = sum(len(doc) for doc in nlp.tokenizer.pipe(texts))
    batch_size = nlp.batch_size
    for _ in nlp.pipe(texts[:64], batch_size=batch_size):
        pass  # warm-up
    pipe_seconds = best_of(repeats, lambda: [None for _ in nlp.pipe(texts, batch_size=batch_size)])

    path = resolve_encoder("sentence-transformers/all-MiniLM-L6-v2")
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    encoder = AutoModel.from_pretrained(str(path)).eval()
    device = torch.device(f"cuda:{gpu_id}" if gpu_id >= 0 else "cpu")
    encoder.to(device)
    ordered = sorted(texts, key=len)

    def encode_all():
        with torch.inference_mode():
            for i in range(0, len(ordered), batch_size):
                batch = tokenizer(ordered[i : i + batch_size], padding=True, truncation=True, return_tensors="pt")
                encoder(**{k: v.to(device) for k, v in batch.items()})
        if device.type == "cuda":
            torch.cuda.synchronize()

    encode_all()
    encoder_seconds = best_of(repeats, encode_all)
    return {
        "words_per_second": n_words / pipe_seconds,
        "encoder_words_per_second": n_words / encoder_seconds,
        "speed_ratio": encoder_seconds / pipe_seconds,
        "speed_words": n_words,
    }


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(cmd: list) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)


def write_result(metrics: dict, seconds: float, args) -> None:
    gpu = args.gpu_id >= 0
    machine = f"{os.cpu_count()}-core CPU ({platform.processor() or platform.machine()})"
    if gpu:
        import torch

        machine = torch.cuda.get_device_name(args.gpu_id)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    result = {
        "benchmark": "conll04-ner",
        "dataset": "conll04",
        "split": "test",
        "commit": commit,
        "machine": machine,
        "encoder": "all-MiniLM-L6-v2",
        "seconds": round(seconds, 1),
        "metrics": {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()},
        "command": "python " + " ".join(["bench/conll04_ner.py", *sys.argv[1:]]),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "conll04-ner-gpu.json" if gpu else "conll04-ner.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
