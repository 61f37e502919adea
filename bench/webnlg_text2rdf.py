"""WebNLG v3.0 text-to-RDF: the default pipeline on the WebNLG+ 2020 semantic-parsing test.

The pipeline is the one project.yml builds (configs/default_en.cfg: transformer + kgx_ner +
kgx_relation_classifier + kgx_attribute_tagger + kgx_entity_linker + kgx_rdf, trained
jointly on WebNLG train by distant supervision, linking to the DBpedia graph of the train
triples). Given ``--model`` it is used as it is; otherwise project.yml's own commands build
it (``spacy project run`` convert → kb → kge → train, under the project's corpus/ and
training/), with ``--max-steps`` as ``vars.max_steps``.

Each test text's predicted facts become WebNLG triples (``doc_triples``) and are scored
against the text's reference triples with the official WebNLG+ 2020 definitions
(``kgx_spacy.evaluation.webnlg``): exact, partial and strict F1. Speed is text → RDF in
an embedded Oxigraph store (``pipe_to_target``: ``kgx extract``'s engine, the pipeline already
loaded) for the whole test set, beside ``nlp.pipe`` alone and
the encoder alone on the same texts. The WebNLG+ 2020 systems' own outputs
(``webnlg_2020_submissions``) are scored in the same run by the same scorer, overall and
per challenge subset (seen categories, unseen categories, unseen entities).

    python bench/webnlg_text2rdf.py [--model training/default/model-best] [--max-steps 950] [--gpu-id -1]

Writes bench/results/webnlg-text2rdf.json.
"""

import argparse
import json
import os
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from collections import Counter
from typing import Dict, List, Tuple

import spacy
from common import REPO, budget, measure_speed, run, write_result

from kgx_spacy.corpora import data_dir, webnlg
from kgx_spacy.corpora.webnlg_links import DBR, is_literal
from kgx_spacy.evaluation.webnlg import read_triple_sets, score
from kgx_spacy.extensions import ATTRIBUTES, GOLD_TRIPLES, LINKS, RELATIONS
from kgx_spacy.extract import pipe_to_target
from kgx_spacy.rdf.targets import Target
from kgx_spacy.training import read_training_log

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_DATE = XSD + "date"
NUMERIC = {XSD + "integer", XSD + "decimal", XSD + "double", "https://w3id.org/cdt/ucum"}
CURVE = ("ents_f", "rel_micro_f", "attr_f", "el_accuracy")  # the dev scores recorded by step
SUBMISSIONS = "webnlg_2020_submissions"
# metric prefix: the system's folder under SUBMISSIONS
SYSTEMS = {"amazon": "Amazon_AI_Shanghai", "bt5": "bt5", "cyclegt": "CycleGT", "baseline": "Baseline"}
# metric suffix: the challenge's subset file (primary_<name>.xml)
SUBSETS = {"seen": "seen", "unseen_categories": "unseen", "unseen_entities": "unseen_entities"}


def build_pipeline(max_steps: int, gpu_id: int) -> Tuple[Path, dict]:
    """The default pipeline, made by project.yml's convert → kb → kge → train commands
    (each skipped when its inputs are unchanged; train always runs, with this budget).

    RETURNS: the model and its training budget (``common.budget``).
    """
    project = [sys.executable, "-m", "spacy", "project", "run"]
    variables = ["--vars.max_steps", str(max_steps), "--vars.gpu_id", str(gpu_id), "--vars.kgx_data", str(data_dir())]
    for step in ("convert", "kb", "kge"):
        run([*project, step, str(REPO), *variables])
    start = time.perf_counter()
    run([*project, "train", str(REPO), *variables, "--force"])
    spent = budget(REPO / "training" / "default" / "train-log.jsonl", time.perf_counter() - start, CURVE)
    return REPO / "training" / "default" / "model-best", spent


def entity_name(doc, start: int, end: int, links: dict) -> str:
    """How WebNLG names an entity: a linked DBpedia resource by its name
    (``Aarhus_Airport``), anything else by its mention with ``_`` for spaces."""
    iri = links.get((start, end))
    if iri and iri.startswith(DBR):
        return urllib.parse.unquote(iri[len(DBR):])
    return "_".join(doc[start:end].text.split())


NUMBER = re.compile(r"[-−]?\d[\d,]*(?:\.\d+)?")


def literal_styles(references: List[Tuple[str, str, str]]) -> Dict[str, str]:
    """How WebNLG writes each predicate's numbers, read off reference triples: ``float``
    (``2776.0``, ``17068.8 (millimetres)``) or ``int`` (``1634``), by majority, for the
    predicates whose literal objects are mostly numbers."""
    counts: Dict[str, Counter] = {}
    for _, predicate, obj in set(references):
        if not is_literal(obj):
            continue
        number = NUMBER.fullmatch(obj.split(" (")[0].strip('"'))
        kind = None if number is None else ("float" if "." in number.group() else "int")
        counts.setdefault(predicate, Counter())[kind] += 1
    styles = {}
    for predicate, count in counts.items():
        kind, n = max(((k, v) for k, v in count.items() if k), key=lambda kv: kv[1], default=(None, 0))
        if kind and 2 * (count["float"] + count["int"]) >= sum(count.values()):
            styles[predicate] = kind
    return styles


def literal_text(doc, record: dict, styles: Dict[str, str]) -> str:
    """How WebNLG writes a literal: dates as ISO dates; the number a value starts with, in
    its predicate's style (``literal_styles``; units dropped, as the scorer drops WebNLG's
    parenthesised ones); anything else as the text says it."""
    if record["datatype"] == XSD_DATE:
        return record["lexical"]
    text = doc[slice(*record["value"])].text
    style = styles.get(record["attribute"])
    number = NUMBER.match(record["lexical"] if record["datatype"] in NUMERIC else text)
    if style and number:
        value = float(number.group().replace(",", "").replace("−", "-"))
        return str(value) if style == "float" else str(round(value))
    return text.replace(",", "") if text.replace(",", "").replace(".", "").isdigit() else text


def doc_triples(doc, styles: Dict[str, str]) -> List[Tuple[str, str, str]]:
    """The Doc's predicted relations and attributes as WebNLG triples, each once."""
    links = {(r["start"], r["end"]): r["iri"] for r in doc._.get(LINKS) if not r.get("nil")}
    triples = {}
    for r in doc._.get(RELATIONS):
        head = entity_name(doc, *r["head"], links)
        tail = entity_name(doc, *r["tail"], links)
        triples[(head, r["label"], tail)] = None
    for a in doc._.get(ATTRIBUTES):
        triples[(entity_name(doc, *a["entity"], links), a["attribute"], literal_text(doc, a, styles))] = None
    return list(triples)


def challenge_subsets(root: Path) -> List[str]:
    """The challenge's subset (a ``SUBSETS`` key) of every test text, in test order.

    Each system's ``primary_<subset>.xml`` holds its ``primary.xml`` entries of that subset
    in order; the subsets are read off the first system and checked against every other.
    """
    labels = None
    for folder in SYSTEMS.values():
        primary = read_triple_sets(root / folder / "primary.xml")
        if labels is None:
            labels = [None] * len(primary)
            for name, file in SUBSETS.items():
                j = 0
                for triples in read_triple_sets(root / folder / f"primary_{file}.xml"):
                    while j < len(primary) and (primary[j] != triples or labels[j] is not None):
                        j += 1
                    if j == len(primary):
                        raise ValueError(f"{folder}/primary_{file}.xml is not a part of {folder}/primary.xml in order")
                    labels[j], j = name, j + 1
        for name, file in SUBSETS.items():
            if [t for t, label in zip(primary, labels) if label == name] != read_triple_sets(root / folder / f"primary_{file}.xml"):
                raise ValueError(f"{folder}/primary_{file}.xml disagrees with the subsets of {next(iter(SYSTEMS.values()))}")
    return labels


def subset_scores(candidates: List, references: List, subsets: List[str], prefix: str = "") -> dict:
    """Exact-match P/R/F1 (all schemes overall) and exact F1 per challenge subset."""
    metrics = {f"{prefix}{k}": v for k, v in score(candidates, references).items()}
    for name in SUBSETS:
        keep = [i for i, label in enumerate(subsets) if label == name]
        part = score([candidates[i] for i in keep], [references[i] for i in keep])
        metrics[f"{prefix}triples_f1_exact_{name}"] = part["triples_f1_exact"]
    metrics[f"{prefix}texts_without_triples"] = sum(not c for c in candidates)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="a trained default pipeline (default: build one)")
    parser.add_argument("--max-steps", type=int, default=950)
    parser.add_argument("--gpu-id", type=int, default=-1)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    if args.model:
        model, spent = args.model, {}
        log = args.model.parent / "train-log.jsonl"  # a project build's log: its steps and dev curve
        if log.exists():
            spent = budget(log, read_training_log(log)[-1]["seconds"], CURVE)
            spent["train_seconds_excludes_initialisation"] = True
    else:
        model, spent = build_pipeline(args.max_steps, args.gpu_id)
    curve = spent.pop("dev_curve", None)
    if args.gpu_id >= 0:
        spacy.require_gpu(args.gpu_id)
    nlp = spacy.load(model)
    gold, _ = webnlg.read("test", data_dir())
    texts = [doc.text for doc in gold]
    predicted = list(nlp.pipe(texts))
    train, _ = webnlg.read("train", data_dir())
    styles = literal_styles([tuple(t) for doc in train for t in doc._.get(GOLD_TRIPLES)])
    candidates = [doc_triples(doc, styles) for doc in predicted]
    references = [[tuple(t) for t in doc._.get(GOLD_TRIPLES)] for doc in gold]
    submissions = data_dir() / SUBMISSIONS
    subsets = challenge_subsets(submissions)
    metrics = subset_scores(candidates, references, subsets)
    for prefix, folder in SYSTEMS.items():  # the challenge's systems, same scorer, same run
        metrics.update(subset_scores(read_triple_sets(submissions / folder / "primary.xml"), references, subsets, f"{prefix}_"))

    n_words = sum(len(doc) for doc in nlp.tokenizer.pipe(texts))
    speed = measure_speed(nlp, texts, args.gpu_id, repeats=1)
    with tempfile.TemporaryDirectory() as tmp:  # kgx extract's engine, the pipeline loaded
        target = Target(store=Path(tmp) / "store")
        items = [(d.text, d._.kgx_doc_id) for d in gold]
        begin = time.perf_counter()
        stats = pipe_to_target(nlp, items, target, checkpoint=target.checkpoint())
        store_seconds = time.perf_counter() - begin
    metrics.update(
        {
            "words_per_second": n_words / store_seconds,
            "encoder_words_per_second": speed["encoder_words_per_second"],
            "speed_ratio": n_words / store_seconds / speed["encoder_words_per_second"],
            "pipe_words_per_second": speed["words_per_second"],
            "store_quads": stats.quads,
            **spent,
            "model": str(model),
        }
    )
    print(json.dumps(metrics, indent=2))
    write_result(
        "webnlg-text2rdf", "webnlg_2020_v3.0_en", "test", metrics, time.time() - started, args.gpu_id,
        "bench/webnlg_text2rdf.py", **({"dev_curves": {"default_dev": curve}} if curve else {}),
    )


if __name__ == "__main__":
    main()
