"""Your own KG, measured: KnowledgeNet as a stand-in for a user's graph and texts.

The set-up (issue 19):
- the graph (graph.ttl): the Wikidata facts of folds 1–3, entity–entity facts with both
  IRIs and the three date properties as xsd literals, under ``http://example.org/kn/``;
  every entity of folds 1–4 labelled by its annotated mention texts (``rdfs:label`` the
  one of most words, as Wikidata's full names; ``skos:altLabel`` the others), pronouns and
  common-noun mentions ("the company") left out; the fold-4 facts withheld, so most of
  their entities are known by name only;
- the texts (texts.jsonl): the passages of folds 1–3, unlabelled; new_texts.jsonl: those of
  fold 4, to extract from;
- the ``own`` workflow of project.yml, run as a user runs it (distant labels → KB → KGE →
  fitted config → spacy train), in a copy of the project under bench/work;
- fold 4 extracted and scored with the official rules: ``link_f1`` (KnowledgeNet's ``uri``
  evaluation: subject IRI, property, object IRI, per passage, the annotated properties) and
  ``text_f1`` (``span_overlap``);
- beside it, the same fitted config trained on the annotated folds (1–2 train, 3 dev) at
  the same step budget, linking to the same KB: ``supervised_link_f1``,
  ``supervised_text_f1``.

    python bench/own_kg_knowledgenet.py [--max-steps 600] [--skip-supervised]

On 2 cores, train the supervised pipeline on the other core while the workflow runs
(``--supervised-only``); the full run then reuses both trained pipelines.
Also measured: distant supervision without the graph's aliases and with sentence or token
windows (coverage and precision against the annotations), and a hand-checked sample of
100 distant facts (bench/results/own-kg-distant-sample-checked.jsonl).

Writes bench/results/own-kg-knowledgenet.json.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List

import rdflib
import spacy
from rdflib.namespace import RDFS, SKOS

from common import REPO, RESULTS, WORK, budget, convert, load_docs, train, write_result
from kgx_spacy.corpora import knowledgenet
from kgx_spacy.corpora.knowledgenet import link_score, span_overlap_score
from kgx_spacy.extensions import install_extensions
from kgx_spacy.literals import normalize_value

DATA = Path(os.environ.get("KGX_DATA", REPO.parent / "shared" / "data"))
OUT = WORK / "own-kg-knowledgenet"
KN = rdflib.Namespace("http://example.org/kn/")
PRONOUNS = frozenset(
    "i me my mine we us our ours you your yours he him his she her hers it its they them "
    "their theirs himself herself itself themselves who whom whose this that".split()
)
GRAPH_FOLDS, TEST_FOLD = (1, 2, 3), 4


def is_name(text: str) -> bool:
    """Whether a mention text can be a label: not a pronoun, with a capital or a digit."""
    return text.lower() not in PRONOUNS and any(c.isupper() or c.isdigit() for c in text)


def read_rows(path: Path) -> List[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def prepare(rows: List[dict], out: Path) -> Dict[str, int]:
    """graph.ttl, texts.jsonl and new_texts.jsonl in ``out``; RETURNS their sizes."""
    out.mkdir(parents=True, exist_ok=True)
    graph = rdflib.Graph()
    graph.bind("kn", KN)
    graph.bind("skos", SKOS)
    names: Dict[str, Counter] = defaultdict(Counter)
    texts: Dict[str, str] = {}
    new_texts: Dict[str, str] = {}
    for row in rows:
        fact = row["fact"]
        (texts if row["fold"] in GRAPH_FOLDS else new_texts).setdefault(row["passageId"], row["passageText"])
        if fact is None:
            continue
        for role in ("subject", "object"):
            if fact[f"{role}Uri"] and is_name(fact[f"{role}Text"]):
                names[fact[f"{role}Uri"]][fact[f"{role}Text"].strip()] += 1
        if row["fold"] not in GRAPH_FOLDS or not fact["subjectUri"]:
            continue
        subject, prop = rdflib.URIRef(fact["subjectUri"]), KN[row["property"]]
        if knowledgenet.PROPERTIES[row["property"]][1] is None:
            value = normalize_value(fact["objectText"], "date")
            if value.lang is None:
                graph.add((subject, prop, rdflib.Literal(value.lexical, datatype=rdflib.URIRef(value.datatype))))
        elif fact["objectUri"]:
            graph.add((subject, prop, rdflib.URIRef(fact["objectUri"])))
    labels = 0
    for iri, counts in names.items():
        ranked = sorted(counts, key=lambda text: (-len(text.split()), -counts[text], text))
        graph.add((rdflib.URIRef(iri), RDFS.label, rdflib.Literal(ranked[0], lang="en")))
        for alias in ranked[1:]:
            graph.add((rdflib.URIRef(iri), SKOS.altLabel, rdflib.Literal(alias, lang="en")))
        labels += len(ranked)
    graph.serialize(out / "graph.ttl", format="turtle")
    for name, passages in (("texts.jsonl", texts), ("new_texts.jsonl", new_texts)):
        with (out / name).open("w", encoding="utf-8") as f:
            for passage_id, text in passages.items():
                f.write(json.dumps({"id": passage_id, "text": text}, ensure_ascii=False) + "\n")
    facts = sum(isinstance(o, rdflib.URIRef) for p in map(KN.__getitem__, knowledgenet.PROPERTIES) for o in graph.objects(None, p))
    return {"graph_triples": len(graph), "graph_entity_facts": facts, "graph_date_facts": len(graph) - facts - labels,
            "graph_entities": len(names), "texts": len(texts)}


SAMPLE_SIZE = 100
SAMPLE = RESULTS / "own-kg-distant-sample.jsonl"
CHECKED = RESULTS / "own-kg-distant-sample-checked.jsonl"


def gold_facts(rows: List[dict], folds) -> Dict[str, set]:
    """Per passage of ``folds``: its annotated facts as the graph holds them,
    (subject IRI, property, object IRI or normalised date)."""
    facts: Dict[str, set] = defaultdict(set)
    for row in rows:
        fact = row["fact"]
        if row["fold"] not in folds or fact is None or not fact["subjectUri"]:
            continue
        if knowledgenet.PROPERTIES[row["property"]][1] is None:
            value = normalize_value(fact["objectText"], "date")
            if value.lang is None:
                facts[row["passageId"]].add((fact["subjectUri"], row["property"], value.lexical))
        elif fact["objectUri"]:
            facts[row["passageId"]].add((fact["subjectUri"], row["property"], fact["objectUri"]))
    return facts


def annotated(rows: List[dict]) -> Dict[str, set]:
    """Per passage: the properties it is exhaustively annotated for."""
    labels: Dict[str, set] = defaultdict(set)
    for row in rows:
        labels[row["passageId"]].add(row["property"])
    return labels


def distant_facts(doc) -> List[dict]:
    """The facts distant supervision labelled in a Doc, with their text."""
    iris = {(e.start, e.end): e.kb_id_ for e in doc.ents}
    found = []
    for r in doc._.get("kgx_relations"):
        head, tail = doc[slice(*r["head"])], doc[slice(*r["tail"])]
        found.append({"fact": (iris[tuple(r["head"])], r["label"], iris[tuple(r["tail"])]),
                      "subject": head.text, "object": tail.text})
    for r in doc._.get("kgx_attributes"):
        entity, value = doc[slice(*r["entity"])], doc[slice(*r["value"])]
        found.append({"fact": (iris[tuple(r["entity"])], r["attribute"], r["lexical"]),
                      "subject": entity.text, "object": value.text})
    return found


def distant_figures(corpus: Path, rows: List[dict], sample: bool = True) -> Dict[str, float]:
    """How much of the texts' annotated facts distant supervision found (coverage), how
    many of its facts of annotated properties are annotated (precision against the
    exhaustive annotation), and (``sample``) the hand-checked sample."""
    install_extensions()
    gold, labels = gold_facts(rows, GRAPH_FOLDS), annotated(rows)
    texts = {row["passageId"]: row["passageText"] for row in rows}
    nlp = spacy.blank("en")
    found, pool = defaultdict(set), []
    for split in ("train", "dev"):
        for doc in load_docs(corpus / f"{split}.spacy", nlp):
            passage = doc._.get("kgx_doc_id")
            for fact in distant_facts(doc):
                found[passage].add(fact["fact"])
                pool.append({"passage": passage, "text": texts[passage], "subject": fact["subject"],
                             "predicate": fact["fact"][1], "object": fact["object"], "iris": fact["fact"]})
    n_gold = sum(len(f) for f in gold.values())
    n_found = sum(len(gold[p] & f) for p, f in found.items())
    scored = [(p, fact) for p, facts in found.items() for fact in facts if fact[1] in labels[p]]
    metrics = {
        "distant_fact_coverage": n_found / n_gold,
        "distant_gold_facts": n_gold,
        "distant_passages_with_fact": len(found),
        "distant_annotated_precision": sum(fact in gold[p] for p, fact in scored) / len(scored),
    }
    if not sample:
        return metrics
    sample = random.Random(0).sample(sorted(pool, key=json.dumps), min(SAMPLE_SIZE, len(pool)))
    with SAMPLE.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in sample)
    checked = [json.loads(line) for line in CHECKED.read_text(encoding="utf-8").splitlines()] if CHECKED.exists() else []
    if [(r["passage"], r["iris"]) for r in checked] == [(r["passage"], list(r["iris"])) for r in sample]:
        metrics["distant_sample_precision"] = sum(row["correct"] for row in checked) / len(checked)
        metrics["distant_sample_checked"] = len(checked)
    else:
        print(f"{CHECKED} does not hold this run's sample: check {SAMPLE} by hand", flush=True)
    return metrics


def copy_project(folder: Path) -> Path:
    """project.yml and configs/ in ``folder``: the workflow's outputs stay out of the repo's."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "project.yml", folder / "project.yml")
    shutil.copytree(REPO / "configs", folder / "configs", dirs_exist_ok=True)
    return folder


# How distant supervision finds facts, one change at a time: kgx distant-label's options.
DISTANT_ABLATIONS = {
    "labels_only": ["--label-predicate", "rdfs:label"],  # without the graph's skos:altLabel aliases
    "sentence_window": ["--window", "sentence"],
    "window_20": ["--window", "20"],
}


def distant_ablation(rows: List[dict]) -> Dict[str, float]:
    """Coverage and annotated precision of each DISTANT_ABLATIONS variant."""
    metrics = {}
    for name, options in DISTANT_ABLATIONS.items():
        corpus = OUT / f"distant-{name}"
        subprocess.run([sys.executable, "-m", "kgx_spacy.cli", "distant-label", str(OUT / "texts.jsonl"),
                        "--kg", str(OUT / "graph.ttl"), "--output", str(corpus), *options], check=True)
        for key, value in distant_figures(corpus, rows, sample=False).items():
            if key in ("distant_fact_coverage", "distant_annotated_precision"):
                metrics[f"{name}_{key}"] = value
    return metrics


def run_workflow(project: Path, max_steps: int, gpu_id: int) -> float:
    """``spacy project run own`` as a user runs it; RETURNS its wall seconds (when weasel
    finds every step up to date, those of the run that trained the model)."""
    model, saved = project / "training" / "own" / "model-best", OUT / "workflow.json"
    before = model.stat().st_mtime if model.exists() else None
    command = [
        sys.executable, "-m", "spacy", "project", "run", "own", str(project),
        "--vars.own_texts", str(OUT / "texts.jsonl"), "--vars.own_kg", str(OUT / "graph.ttl"),
        "--vars.own_vocabulary", str(KN), "--vars.max_steps", str(max_steps), "--vars.gpu_id", str(gpu_id),
    ]
    print("$", " ".join(command), flush=True)
    started = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - started
    if before is not None and model.stat().st_mtime == before and saved.exists():
        return json.loads(saved.read_text())["seconds"]
    saved.write_text(json.dumps({"seconds": round(seconds, 1), "max_steps": max_steps}) + "\n")
    return seconds


def train_supervised(project: Path, max_steps: int, gpu_id: int) -> Dict:
    """The own workflow's fitted config trained on the annotated folds (1–2 train, 3 dev),
    linking to the same KB and KGE; waits for the workflow to have made them."""
    config, kb, kge = (project / "training" / name for name in ("own.cfg", "own-kb", "own-kge"))
    while not (config.exists() and (kb / "kb.json").exists() and kge.exists()):
        time.sleep(10)
    return train(
        config, convert("knowledgenet"), OUT / "supervised", max_steps, gpu_id,
        "--paths.kb", str(kb), "--paths.kge", str(kge), "--components.kgx_rdf.vocabulary", str(KN),
        curve=("ents_f", "rel_micro_f", "el_micro_f"),
    )


def score(model: Path, gpu_id: int, prefix: str = "") -> Dict[str, float]:
    """link_f1 and text_f1 of a pipeline on fold 4, and where its links went."""
    if gpu_id >= 0:
        spacy.require_gpu(gpu_id)
    nlp = spacy.load(model)
    gold, _ = knowledgenet.read("test", DATA)
    predicted = list(nlp.pipe(doc.text for doc in gold))
    link, text = link_score(zip(predicted, gold)), span_overlap_score(zip(predicted, gold))
    links = [r for doc in predicted for r in doc._.get("kgx_links")]
    metrics = {
        "link_f1": link["link_f1"], "link_p": link["link_p"], "link_r": link["link_r"],
        "link_tp": link["link_tp"], "link_fp": link["link_fp"], "link_fn": link["link_fn"],
        "text_f1": text["text_f1"], "text_p": text["text_p"], "text_r": text["text_r"],
        "nil_share": sum(r["nil"] for r in links) / max(1, len(links)),
    }
    print(prefix or "distant", {k: round(v, 4) for k, v in metrics.items()}, flush=True)
    return {f"{prefix}{k}": v for k, v in metrics.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=600)
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--skip-supervised", action="store_true")
    parser.add_argument("--supervised-only", action="store_true",
                        help="only train the supervised pipeline (beside a run of the workflow, on another core)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    project = OUT / "project"
    if args.supervised_only:
        train_supervised(project, args.max_steps, args.gpu_id)
        return
    rows = read_rows(DATA / "knowledgenet" / knowledgenet.FILE)
    metrics: Dict[str, float] = prepare(rows, OUT)
    copy_project(project)
    workflow_seconds = run_workflow(project, args.max_steps, args.gpu_id)
    metrics.update(distant_figures(project / "corpus" / "own", rows))
    metrics.update(distant_ablation(rows))
    own = budget(project / "training" / "own" / "train-log.jsonl", workflow_seconds, ("ents_f", "rel_micro_f", "el_micro_f"))
    curves = {"own_dev": own.pop("dev_curve")}
    metrics.update(score(project / "training" / "own" / "model-best", args.gpu_id))
    metrics.update(own)
    if not args.skip_supervised:
        spent = train_supervised(project, args.max_steps, args.gpu_id)
        curves["supervised_dev"] = spent.pop("dev_curve")
        metrics.update(score(OUT / "supervised" / "model-best", args.gpu_id, "supervised_"))
        metrics.update({f"supervised_{k}": v for k, v in spent.items()})
    write_result(
        "own-kg-knowledgenet", "knowledgenet", "test (fold 4)", metrics, time.time() - started, args.gpu_id,
        "bench/own_kg_knowledgenet.py", dev_curves=curves,
        train_seconds_includes="the whole own workflow: distant labels, KB, KGE, fitted config, spacy train",
    )


if __name__ == "__main__":
    main()
