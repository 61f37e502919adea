"""CPU inference: the int8 encoder beside the fp32 pipeline and the fp32 encoder alone.

One run, one machine, torch's default threads (both cores of the 2-core machine):

1. CoNLL04 test, transformer + kgx_ner (the joint pipeline of ``bench/conll04_joint.py``,
   its relation classifier left out): ``nlp.pipe`` words/s of the fp32 pipeline and of the
   same pipeline with its encoder int8 (``kgx_spacy.quantize``), calibrated on the first
   256 train texts (``kgx quantize --calibrate``) and not, beside the fp32 encoder alone
   and the int8 encoder alone (``common.encoder_run``: sorted texts, inference mode, at its
   best batch size), all five timed in alternating rounds (best of each); strict
   ``ents_f`` of each on test, and on dev (where the int8 recipe was chosen).
2. WebNLG dev, the default pipeline (``training/default/model-best``): exact triples F1
   (the WebNLG+ 2020 scorer) of the fp32 and the int8 pipelines (calibrated on the first
   256 train texts, and not), and their words/s.

    python bench/inference_speed.py [--conll04-model bench/work/conll04-joint/model-best]
        [--webnlg-model training/default/model-best] [--rounds 3]

Writes bench/results/inference-speed.json.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

import spacy
import torch
from common import ENCODER_BATCH_SIZES, REPO, WORK, best_of, budget, convert, encoder_run, load_docs, write_result
from spacy.training import Example
from webnlg_text2rdf import doc_triples, literal_styles

from kgx_spacy.corpora import data_dir, webnlg
from kgx_spacy.evaluation.webnlg import score
from kgx_spacy.extensions import GOLD_TRIPLES, install_extensions
from kgx_spacy.quantize import load_quantized, write_quantized
from kgx_spacy.training import read_training_log

CALIBRATION_TEXTS = 256  # the first train texts: what kgx quantize --calibrate reads by default
NER_ONLY = ["kgx_relation_classifier", "kgx_attribute_tagger", "kgx_entity_linker", "kgx_rdf"]


def alternating(pipelines: Dict[str, Callable[[], object]], rounds: int) -> Dict[str, float]:
    """Best seconds of each callable, run in turn ``rounds`` times (one warm-up round)."""
    best = {name: float("inf") for name in pipelines}
    for round_ in range(rounds + 1):
        for name, run in pipelines.items():
            start = time.perf_counter()
            run()
            if round_:
                best[name] = min(best[name], time.perf_counter() - start)
    return best


def piped(nlp, texts: List[str]) -> Callable[[], list]:
    return lambda: list(nlp.pipe(texts, batch_size=nlp.batch_size))


def int8(model: Path, calibration: List[str], **kwargs):
    """The pipeline loaded with its encoder int8, calibrated on ``calibration`` (the
    copy ``kgx quantize --calibrate`` writes); uncalibrated when it is empty."""
    if not calibration:
        return load_quantized(model, **kwargs)
    folder = Path(tempfile.mkdtemp(prefix="kgx-int8-"))
    write_quantized(model, folder / "model", "int8", calibration)
    return spacy.load(folder / "model", **kwargs)


def ents_f(nlp, corpus: Path) -> float:
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in load_docs(corpus, nlp)]
    return nlp.evaluate(examples)["ents_f"]


def conll04(model: Path, rounds: int) -> Dict:
    corpus = convert("conll04")
    texts = [doc.text for doc in load_docs(corpus / "test.spacy", spacy.blank("en"))]
    calibration = [doc.text for doc in load_docs(corpus / "train.spacy", spacy.blank("en"))][:CALIBRATION_TEXTS]
    pipelines = {
        "fp32": spacy.load(model, exclude=NER_ONLY),
        "int8": int8(model, calibration, exclude=NER_ONLY),
        "int8_uncalibrated": int8(model, [], exclude=NER_ONLY),
    }
    metrics = {}
    for name, nlp in pipelines.items():
        metrics[f"dev_{name}_ents_f"] = ents_f(nlp, corpus / "dev.spacy")
        metrics[f"{name}_ents_f"] = ents_f(nlp, corpus / "test.spacy")
    n_words = sum(len(doc) for doc in pipelines["fp32"].tokenizer.pipe(texts))
    runs = {name: piped(nlp, texts) for name, nlp in pipelines.items()}
    for name, quantize in (("encoder", None), ("int8_encoder", "int8")):  # at its best batch size
        run = encoder_run(texts, -1, quantize=quantize)
        size = min(ENCODER_BATCH_SIZES, key=lambda size: best_of(1, lambda: run(size)))
        runs[name] = lambda run=run, size=size: run(size)
    seconds = alternating(runs, rounds)
    encoder, int8_encoder = seconds["encoder"], seconds["int8_encoder"]
    return {
        **metrics,
        "ents_f": metrics["fp32_ents_f"],
        "int8_ents_f_drop": metrics["fp32_ents_f"] - metrics["int8_ents_f"],
        "int8_uncalibrated_ents_f_drop": metrics["fp32_ents_f"] - metrics["int8_uncalibrated_ents_f"],
        "words_per_second": n_words / seconds["fp32"],
        "int8_words_per_second": n_words / seconds["int8"],
        "int8_uncalibrated_words_per_second": n_words / seconds["int8_uncalibrated"],
        "encoder_words_per_second": n_words / encoder,
        "int8_encoder_words_per_second": n_words / int8_encoder,
        "int8_speedup_over_encoder": encoder / seconds["int8"],
        "int8_speedup_over_pipeline": seconds["fp32"] / seconds["int8"],
        "speed_words": n_words,
        "speed_texts": len(texts),
    }


def webnlg_dev(model: Path, rounds: int) -> Dict:
    gold = load_docs(REPO / "corpus" / "webnlg-distant" / "dev.spacy", spacy.blank("en"))
    texts = [doc.text for doc in gold]
    references = [[tuple(t) for t in doc._.get(GOLD_TRIPLES)] for doc in gold]
    train, _ = webnlg.read("train", data_dir())
    styles = literal_styles([tuple(t) for doc in train for t in doc._.get(GOLD_TRIPLES)])
    calibration = [doc.text for doc in train][:CALIBRATION_TEXTS]
    pipelines = {"fp32": spacy.load(model), "int8": int8(model, calibration), "int8_uncalibrated": int8(model, [])}
    metrics, runs = {}, {}
    for name, nlp in pipelines.items():
        candidates = [doc_triples(doc, styles) for doc in nlp.pipe(texts)]
        metrics[f"webnlg_dev_{name}_triples_f1_exact"] = score(candidates, references)["triples_f1_exact"]
        runs[name] = piped(nlp, texts)
    n_words = sum(len(doc) for doc in pipelines["fp32"].tokenizer.pipe(texts))
    seconds = alternating(runs, max(1, rounds - 1))
    fp32 = metrics["webnlg_dev_fp32_triples_f1_exact"]
    return {
        **metrics,
        "int8_triples_f1_drop": fp32 - metrics["webnlg_dev_int8_triples_f1_exact"],
        "int8_uncalibrated_triples_f1_drop": fp32 - metrics["webnlg_dev_int8_uncalibrated_triples_f1_exact"],
        **{f"webnlg_dev_{name}_words_per_second": n_words / s for name, s in seconds.items()},
        "webnlg_dev_texts": len(texts),
    }


def model_budgets(conll04_model: Path, webnlg_model: Path) -> Dict:
    """The training budgets of the two pipelines measured (from the train-log beside each
    model): ``train_*`` for the CoNLL04 one, ``webnlg_train_*`` for the default one, and
    their dev curves."""
    metrics, curves = {}, {}
    for prefix, model in (("", conll04_model), ("webnlg_", webnlg_model)):
        log = model.parent / "train-log.jsonl"
        if log.exists():
            spent = budget(log, read_training_log(log)[-1]["seconds"], ("ents_f", "rel_micro_f"))
            curves[f"{prefix or 'conll04_'}dev"] = spent.pop("dev_curve")
            metrics.update({prefix + k: v for k, v in spent.items()})
    return {"metrics": metrics, "dev_curves": curves}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conll04-model", type=Path, default=WORK / "conll04-joint" / "model-best")
    parser.add_argument("--webnlg-model", type=Path, default=REPO / "training" / "default" / "model-best")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    install_extensions()
    started = time.time()
    budgets = model_budgets(args.conll04_model, args.webnlg_model)
    metrics = {**conll04(args.conll04_model, args.rounds), **webnlg_dev(args.webnlg_model, args.rounds), **budgets["metrics"]}
    metrics["torch_threads"] = torch.get_num_threads()
    metrics["quantize"] = (
        "int8: torch.ao quantize_dynamic, every nn.Linear with per-channel int8 weights, smoothed "
        f"(SmoothQuant, alpha 0.8) with input ranges from the first {CALIBRATION_TEXTS} train texts; "
        "int8_uncalibrated: the same without smoothing (kgx extract --quantize int8 on an uncalibrated pipeline)"
    )
    write_result(
        "inference-speed", "conll04 + webnlg_2020_v3.0_en", "test (conll04) + dev (webnlg)", metrics,
        time.time() - started, -1, "bench/inference_speed.py",
        models={"conll04": str(args.conll04_model), "webnlg": str(args.webnlg_model)},
        dev_curves=budgets["dev_curves"],
        notes=(
            "CoNLL04: transformer + kgx_ner of the joint CoNLL04 pipeline (relation classifier left out), "
            "fp32 and int8 timed in alternating rounds on the test texts beside the encoder alone (fp32 and "
            "int8); WebNLG: the default pipeline on dev, exact triples F1 with its own decision rule. "
            "Training stays fp32; int8 is a load-time setting."
        ),
    )


if __name__ == "__main__":
    main()
