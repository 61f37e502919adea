"""Shared pieces of the benchmark scripts: running commands, timing, writing results."""

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import spacy
from spacy.tokens import DocBin
from spacy.training import Example

from kgx_spacy.training import read_training_log

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "work"
RESULTS = REPO / "bench" / "results"


def run(cmd: List[str]) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)


def convert(dataset: str) -> Path:
    """The dataset's DocBins through the project's converter (``kgx convert``), once."""
    out = WORK / dataset
    if not (out / "test.spacy").exists():
        run([sys.executable, "-m", "kgx_spacy.cli", "convert", dataset, str(out)])
    return out


def merge_splits(corpus: Path, splits: Sequence[str]) -> str:
    """One DocBin of ``splits`` of ``corpus`` (e.g. train + dev, as SpERT's final CoNLL04
    models train), written once beside them; RETURNS its file name."""
    name = "_".join(splits) + ".spacy"
    if not (corpus / name).exists():
        merged = DocBin(store_user_data=True)  # the gold relations live in user_data
        for split in splits:
            part = DocBin().from_disk(corpus / f"{split}.spacy")
            part.store_user_data = True  # from_disk reads the data but not the flag
            merged.merge(part)
        merged.to_disk(corpus / name)
    return name


def train(
    config: Path, corpus: Path, output: Path, max_steps: int, gpu_id: int, *overrides: str,
    curve: Sequence[str] = ("ents_f", "rel_micro_f"), reuse: bool = True, train_file: str = "train.spacy",
    dev_file: str = "dev.spacy",
) -> Dict:
    """``spacy train`` with the corpus paths and a step budget (the schedule follows it).

    The run logs every evaluation through ``kgx.TrainingLog.v1`` to OUTPUT/train-log.jsonl.
    RETURNS: the budget (``train_seconds``: wall time of the whole command, initialisation
    included; ``train_steps``, ``train_epochs``) and ``dev_curve`` (step, seconds and the
    ``curve`` scores that the run reports, per evaluation), also saved as OUTPUT/budget.json.
    train_file, dev_file: the training and dev DocBins in ``corpus`` (``merge_splits`` makes
        train + dev).
    reuse: when OUTPUT/budget.json records this very command and model-best exists, return
        it without training again; when a run of this very command was killed after an
        evaluation, continue it with ``kgx resume`` (``train_seconds`` then adds the killed
        run's training loop up to its last checkpoint; its initialisation is not counted).
    """
    output = Path(output)
    log, saved, started = output / "train-log.jsonl", output / "budget.json", output / "command.json"
    command = {"config": str(config), "max_steps": max_steps, "overrides": list(overrides)}
    if train_file != "train.spacy":
        command["train_file"] = train_file
    if dev_file != "dev.spacy":
        command["dev_file"] = dev_file
    if reuse and saved.exists() and (output / "model-best").exists():
        recorded = json.loads(saved.read_text())
        if recorded.pop("command") == command:
            print(f"reusing the finished run in {output}", flush=True)
            return recorded
    saved.unlink(missing_ok=True)  # a run that is killed must not look finished
    arguments = [
        str(config), "--output", str(output),
        "--paths.train", str(corpus / train_file),
        "--paths.dev", str(corpus / dev_file),
        "--training.max_steps", str(max_steps),
        "--training.optimizer.learn_rate.total_steps", str(max_steps),
        "--training.logger.@loggers", "kgx.TrainingLog.v1",
        "--training.logger.path", str(log),
        "--gpu-id", str(gpu_id),
        *overrides,
    ]
    done = 0.0  # training-loop seconds of the killed run this one resumes
    records = read_training_log(log) if log.exists() else []
    if reuse and started.exists() and json.loads(started.read_text()) == command and records and (
        records[-1]["step"] > 0 and (output / "model-last").is_dir()
    ):
        done = records[-1]["seconds"]
        print(f"resuming the killed run in {output} from step {records[-1]['step']}", flush=True)
        start = time.perf_counter()
        run([sys.executable, "-m", "kgx_spacy.cli", "resume", *arguments[:1], str(output), *arguments[3:]])
    else:
        output.mkdir(parents=True, exist_ok=True)
        started.write_text(json.dumps(command) + "\n")
        start = time.perf_counter()
        run([sys.executable, "-m", "spacy", "train", *arguments])
    spent = budget(log, done + time.perf_counter() - start, curve)
    if done:
        spent["resumed_at_step"] = records[-1]["step"]
    saved.write_text(json.dumps({"command": command, **spent}, indent=2) + "\n")
    return spent


def joint_ablation(
    benchmark: str, script: str, variants: Dict[str, Tuple[str, int, Sequence[str]]], work: str, gpu_id: int
) -> None:
    """A CoNLL04 dev ablation of configs/joint_trf.cfg: each variant ``name: (label, steps,
    overrides)`` trained with the same seed and batches (in WORK/<work>-<name>; a finished
    run is reused, a killed one resumed), then its dev curve and its best evaluation (as
    spaCy picks model-best: 0.7 ``rel_micro_f`` + 0.3 ``ents_f``) written to
    bench/results/<benchmark>.json. The test split is not touched.

    Variants of an earlier run of the benchmark that are not run again stay in the file,
    each with the commit its figures were written at (``variant_commits``)."""
    started = time.time()
    corpus = convert("conll04")
    metrics, curves, labels, commits = {}, {}, {}, {}
    earlier = RESULTS / f"{benchmark}.json"
    if earlier.exists():
        old = json.loads(earlier.read_text())
        for name, curve in old["dev_curves"].items():
            if name not in variants:
                curves[name], labels[name] = curve, old["variant_labels"][name]
                commits[name] = old.get("variant_commits", {}).get(name, old["commit"])
                metrics.update({k: v for k, v in old["metrics"].items() if k.startswith(f"{name}_")})
                metrics.setdefault(f"{name}_train_steps", curve[-1]["step"])
    for name, (label, steps, overrides) in variants.items():
        spent = train(REPO / "configs" / "joint_trf.cfg", corpus, WORK / f"{work}-{name}", steps, gpu_id, *overrides)
        curves[name], labels[name] = spent.pop("dev_curve"), label
        best = max(curves[name], key=lambda p: 0.7 * p["rel_micro_f"] + 0.3 * p["ents_f"])
        metrics.update({
            f"{name}_best_dev_rel_micro_f": best["rel_micro_f"], f"{name}_best_dev_ents_f": best["ents_f"],
            f"{name}_best_step": best["step"], f"{name}_train_seconds": spent["train_seconds"],
            f"{name}_train_steps": spent["train_steps"],
        })
        commits[name] = git_commit()
        print(name, best, flush=True)
    # the ablation's whole budget: every variant's training, one core each
    metrics["train_seconds"] = round(sum(metrics[f"{name}_train_seconds"] for name in curves), 1)
    metrics["train_steps"] = sum(metrics[f"{name}_train_steps"] for name in curves)
    write_result(
        benchmark, "conll04", "dev", metrics, time.time() - started, gpu_id, script,
        dev_curves=curves, variant_labels=labels, variant_commits=commits,
    )


def budget(log: Path, seconds: float, curve: Sequence[str]) -> Dict:
    """The budget and dev curve of one training run, from its ``kgx.TrainingLog.v1`` file."""
    records = read_training_log(log)
    last = records[-1] if records else {"seconds": 0, "words": 0}
    return {
        "train_seconds": round(seconds, 1),
        # words trained on per second of the training loop (initialisation and evaluations included)
        "train_words_per_second": round(last["words"] / last["seconds"], 1) if last["seconds"] else 0.0,
        "train_steps": records[-1]["step"] if records else 0,
        "train_epochs": records[-1]["epoch"] if records else 0,
        "dev_curve": [
            {"step": r["step"], "seconds": r["seconds"],
             **{k: round(r["scores"][k], 4) for k in curve if r["scores"].get(k) is not None}}
            for r in records
        ],
    }


def load_docs(path: Path, nlp) -> list:
    return list(DocBin().from_disk(path).get_docs(nlp.vocab))


def evaluate(model: Path, test: Path, gpu_id: int) -> Dict:
    if gpu_id >= 0:
        spacy.require_gpu(gpu_id)
    nlp = spacy.load(model)
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in load_docs(test, nlp)]
    return nlp.evaluate(examples)


def best_of(repeats: int, fn: Callable) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def load_encoder(encoder: str, gpu_id: int):
    """The encoder's tokenizer, model (on the device) and device, as the baselines use it."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from kgx_spacy.encoders import resolve_encoder

    path = resolve_encoder(encoder)
    device = torch.device(f"cuda:{gpu_id}" if gpu_id >= 0 else "cpu")
    return AutoTokenizer.from_pretrained(str(path)), AutoModel.from_pretrained(str(path)).to(device), device


def measure_speed(
    nlp, texts: List[str], gpu_id: int, encoder: str = "sentence-transformers/all-MiniLM-L6-v2", repeats: int = 3
) -> Dict:
    """Words/second of ``nlp.pipe`` and of the encoder's own forward pass on the same texts
    (``encoder_seconds``)."""
    n_words = sum(len(doc) for doc in nlp.tokenizer.pipe(texts))
    batch_size = nlp.batch_size
    for _ in nlp.pipe(texts[:64], batch_size=batch_size):
        pass  # warm-up
    pipe_seconds = best_of(repeats, lambda: [None for _ in nlp.pipe(texts, batch_size=batch_size)])
    seconds = encoder_seconds(texts, gpu_id, encoder, repeats)
    return {
        "words_per_second": n_words / pipe_seconds,
        "encoder_words_per_second": n_words / seconds,
        "speed_ratio": seconds / pipe_seconds,
        "speed_words": n_words,
        "speed_batch_size": batch_size,
    }


# Texts per batch tried for the encoder alone (8 and 16 since the pipeline, whose
# transformer sorts its batches into sub-batches of 512 token slots, outran 32-128 on CPU).
ENCODER_BATCH_SIZES = (8, 16, 32, 64, 128)


def encoder_seconds(
    texts: List[str], gpu_id: int, encoder: str = "sentence-transformers/all-MiniLM-L6-v2", repeats: int = 3,
    quantize: Optional[str] = None,
) -> float:
    """Seconds of the encoder alone over ``texts`` (``encoder_run``) at the best of
    ``ENCODER_BATCH_SIZES``."""
    run = encoder_run(texts, gpu_id, encoder, quantize)
    run(64)  # warm-up
    return min(best_of(repeats, lambda: run(size)) for size in ENCODER_BATCH_SIZES)


def encoder_run(
    texts: List[str], gpu_id: int, encoder: str = "sentence-transformers/all-MiniLM-L6-v2",
    quantize: Optional[str] = None,
) -> Callable[[int], None]:
    """``run(batch_size)``: the encoder alone over ``texts``, given the best treatment we
    know: inference mode, the whole text set sorted by length, fast tokenizer.
    quantize: "int8" runs the quantised encoder instead."""
    import torch

    from kgx_spacy.quantize import quantize_module

    tokenizer, model, device = load_encoder(encoder, gpu_id)
    model.eval()
    if quantize:
        model = quantize_module(model, quantize)
    ordered = sorted(texts, key=len)

    def run(size: int) -> None:
        with torch.inference_mode():
            for i in range(0, len(ordered), size):
                batch = tokenizer(ordered[i : i + size], padding=True, truncation=True, return_tensors="pt")
                model(**{k: v.to(device) for k, v in batch.items()})
        if device.type == "cuda":
            torch.cuda.synchronize()

    return run


def measure_encoder_training(
    docs: List, gpu_id: int, encoder: str = "sentence-transformers/all-MiniLM-L6-v2",
    batch_words: int = 1000, max_batches: int = 30, threads: Optional[int] = None,
) -> Dict:
    """Words/second of the encoder's own forward + backward pass (the ceiling of a training
    step) on training Docs: batches of about ``batch_words`` words (spaCy tokens, as
    ``spacy train`` counts them) in corpus order, each through the model in training mode
    with a summed loss and its backward pass.

    threads: torch threads while measuring (1 to stand beside a training run on one core).
    """
    import torch

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return {**_encoder_training(docs, gpu_id, encoder, batch_words, max_batches), "encoder_train_threads": torch.get_num_threads()}
    finally:
        torch.set_num_threads(before)


def _encoder_training(docs: List, gpu_id: int, encoder: str, batch_words: int, max_batches: int) -> Dict:
    import torch

    tokenizer, model, device = load_encoder(encoder, gpu_id)
    model.train()
    batches, batch, words = [], [], 0
    for doc in docs:
        batch.append(doc.text)
        words += len(doc)
        if words >= batch_words:
            batches.append((batch, words))
            batch, words = [], 0
    batches = batches[:max_batches]

    def step(batch: List[str]) -> None:
        inputs = tokenizer(batch, padding=True, truncation=True, return_tensors="pt")
        out = model(**{k: v.to(device) for k, v in inputs.items()}).last_hidden_state
        out.sum().backward()
        model.zero_grad(set_to_none=True)

    step(batches[0][0])  # warm-up
    start = time.perf_counter()
    for batch, _ in batches:
        step(batch)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return {"encoder_train_words_per_second": sum(w for _, w in batches) / (time.perf_counter() - start)}


def machine(gpu_id: int) -> str:
    if gpu_id >= 0:
        import torch

        return torch.cuda.get_device_name(gpu_id)
    cores = len(os.sched_getaffinity(0))  # the cores this run may use (taskset), not the machine's
    return f"{cores}-core CPU ({platform.processor() or platform.machine()})"


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()


def write_result(
    benchmark: str, dataset: str, split: str, metrics: Dict, seconds: float, gpu_id: int, script: str,
    encoder: Optional[str] = "all-MiniLM-L6-v2", output: Optional[Path] = None, **extra,
) -> None:
    """bench/results/<benchmark>.json (``-gpu`` added on a GPU; or ``output``) in DESIGN.md's
    schema. Metrics that are None are left out.

    extra: further top-level fields (``dev_curves``: run name → ``budget()["dev_curve"]``).
    """
    commit = git_commit()
    result = {
        "benchmark": benchmark,
        "dataset": dataset,
        "split": split,
        "commit": commit,
        "machine": machine(gpu_id),
        "encoder": encoder,
        "seconds": round(seconds, 1),
        "metrics": {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items() if v is not None},
        **extra,
        "command": shlex.join(["python", script, *sys.argv[1:]]),
    }
    path = output or RESULTS / (f"{benchmark}-gpu.json" if gpu_id >= 0 else f"{benchmark}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
