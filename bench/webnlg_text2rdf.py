"""WebNLG v3.0 text-to-RDF: the default pipeline on the WebNLG+ 2020 semantic-parsing test.

The pipeline is the one project.yml builds (configs/default_en.cfg: transformer + kgx_ner +
kgx_relation_classifier + kgx_attribute_tagger + kgx_entity_linker + kgx_rdf, trained
jointly on WebNLG train by distant supervision, linking to the DBpedia graph of the train
triples). Given ``--model`` it is used as it is; otherwise it is built here the same way
(convert → kb → kge → train) under bench/work.

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

from common import REPO, WORK, measure_speed, run, write_result
from kgx_spacy.cli.extract import extract
from kgx_spacy.corpora import data_dir, webnlg
from kgx_spacy.evaluation.webnlg import score
from kgx_spacy.corpora.webnlg_links import DBR
from kgx_spacy.extensions import ATTRIBUTES, GOLD_TRIPLES, LINKS, RELATIONS

XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


def build_pipeline(max_steps: int, gpu_id: int) -> Path:
    """The default pipeline, as project.yml's convert → kb → kge → train make it."""
    corpus, out = WORK / "webnlg-distant", WORK / "webnlg-default"
    cli = [sys.executable, "-m", "kgx_spacy.cli"]
    if not (corpus / "kb.nt").exists():
        run([*cli, "convert", "webnlg-distant", str(corpus), "--split", "train", "--split", "dev"])
    if not (out / "kb").exists():
        run([*cli, "kb", "build", str(corpus / "kb.nt"), "--output", str(out / "kb")])
    if not (out / "kge").exists():
        run([*cli, "kge", "train", str(corpus / "kb.nt"), "--output", str(out / "kge"), "--model", "complex",
             "--dim", "100", "--epochs", "100", "--batch-size", "100", "--lr", "0.1", "--n3", "0.01", "--device", "cpu"])
    run([sys.executable, "-m", "spacy", "train", str(REPO / "configs" / "default_en.cfg"), "--output", str(out),
         "--paths.train", str(corpus / "train.spacy"), "--paths.dev", str(corpus / "dev.spacy"),
         "--paths.kb", str(out / "kb"), "--paths.kge", str(out / "kge"),
         "--training.max_steps", str(max_steps), "--training.optimizer.learn_rate.total_steps", str(max_steps),
         "--gpu-id", str(gpu_id)])
    return out / "model-best"


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
    model = args.model or build_pipeline(args.max_steps, args.gpu_id)
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
        stats, _ = extract(str(model), [inputs], store=Path(tmp) / "store", gpu_id=args.gpu_id)
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
            "max_steps": args.max_steps,
            "model": str(model),
        }
    )
    print(json.dumps(metrics, indent=2))
    write_result("webnlg-text2rdf", "webnlg_2020_v3.0_en", "test", metrics, time.time() - started, args.gpu_id, "bench/webnlg_text2rdf.py")


if __name__ == "__main__":
    main()
