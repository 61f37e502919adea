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
an embedded Oxigraph store (``kgx extract``'s code path) for the whole test set, beside
the encoder alone on the same texts.

    python bench/webnlg_text2rdf.py [--model training/default/model-best] [--max-steps 600] [--gpu-id -1]

Writes bench/results/webnlg-text2rdf.json.
"""

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import List, Tuple

import spacy
from common import REPO, budget, measure_speed, run, write_result

from kgx_spacy.corpora import data_dir, webnlg
from kgx_spacy.corpora.webnlg_links import DBR
from kgx_spacy.evaluation.webnlg import score
from kgx_spacy.extensions import ATTRIBUTES, GOLD_TRIPLES, LINKS, RELATIONS
from kgx_spacy.extract import extract
from kgx_spacy.rdf.targets import Target

XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


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
    spent = budget(REPO / "training" / "default" / "train-log.jsonl", time.perf_counter() - start, ("ents_f", "rel_micro_f", "attr_f", "el_accuracy"))
    return REPO / "training" / "default" / "model-best", spent


def entity_name(doc, start: int, end: int, links: dict) -> str:
    """How WebNLG names an entity: a linked DBpedia resource by its name
    (``Aarhus_Airport``), anything else by its mention with ``_`` for spaces."""
    iri = links.get((start, end))
    if iri and iri.startswith(DBR):
        return urllib.parse.unquote(iri[len(DBR):])
    return "_".join(doc[start:end].text.split())


def literal_text(doc, record: dict) -> str:
    """How WebNLG writes a literal: dates as ISO dates, numbers without thousands
    separators, anything else as the text says it."""
    if record["datatype"] == XSD_DATE:
        return record["lexical"]
    text = doc[slice(*record["value"])].text
    return text.replace(",", "") if text.replace(",", "").replace(".", "").isdigit() else text


def doc_triples(doc) -> List[Tuple[str, str, str]]:
    """The Doc's predicted relations and attributes as WebNLG triples, each once."""
    links = {(r["start"], r["end"]): r["iri"] for r in doc._.get(LINKS) if not r.get("nil")}
    triples = {}
    for r in doc._.get(RELATIONS):
        head = entity_name(doc, *r["head"], links)
        tail = entity_name(doc, *r["tail"], links)
        triples[(head, r["label"], tail)] = None
    for a in doc._.get(ATTRIBUTES):
        triples[(entity_name(doc, *a["entity"], links), a["attribute"], literal_text(doc, a))] = None
    return list(triples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="a trained default pipeline (default: build one)")
    parser.add_argument("--max-steps", type=int, default=600)
    parser.add_argument("--gpu-id", type=int, default=-1)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    if args.model:
        model, spent = args.model, {}
    else:
        model, spent = build_pipeline(args.max_steps, args.gpu_id)
    curve = spent.pop("dev_curve", None)
    if args.gpu_id >= 0:
        spacy.require_gpu(args.gpu_id)
    nlp = spacy.load(model)
    gold, _ = webnlg.read("test", data_dir())
    texts = [doc.text for doc in gold]
    predicted = list(nlp.pipe(texts))
    candidates = [doc_triples(doc) for doc in predicted]
    references = [[tuple(t) for t in doc._.get(GOLD_TRIPLES)] for doc in gold]
    metrics = score(candidates, references)

    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "test.jsonl"
        inputs.write_text("".join(json.dumps({"id": d._.kgx_doc_id, "text": d.text}) + "\n" for d in gold))
        begin = time.perf_counter()
        stats = extract(str(model), [inputs], Target(store=Path(tmp) / "store"), gpu_id=args.gpu_id)
        store_seconds = time.perf_counter() - begin
    n_words = sum(len(doc) for doc in nlp.tokenizer.pipe(texts))
    speed = measure_speed(nlp, texts, args.gpu_id, repeats=1)
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
