"""The loop from text back to the KG, measured as a held-out-fact experiment on WebNLG.

- The KG: the project's WebNLG KB graph (corpus/webnlg-distant/kb.nt, the DBpedia triples
  of WebNLG train) with 20% of its entity–entity triples removed (seed 0; a triple is only
  removed while both its entities keep another entity–entity triple, so every entity
  stays known to the KGE); the KGE (the project's recipe) trained on the remaining 80%.
- The texts: WebNLG dev, extracted with the default pipeline (training/default/model-best,
  `spacy project run main`) by ``kgx extract`` into an embedded store.
- ``kgx compare``'s engine classes the extracted facts against the 80% graph. A new fact is
  right when it is a removed triple or a triple of the dev texts' gold; else it is a false
  discovery. ``heldout_recall``: the removed triples that the dev texts state (their gold)
  and that come back as new.
- The ranking of new facts: a logistic ranking of the evidence (extraction confidence,
  documents, KGE plausibility), fitted on half of the facts and scored on the other half
  and the other way round (two folds by a hash of the triple), against extraction
  confidence alone, the same ranking without the KGE (``no_kge_``) and the KGE's
  percentile alone (``kge_only_``): precision at 100 and 500 and average precision of each.
- A seeded sample of 30 conflicts is written for checking by hand
  (bench/results/kg-feedback-conflicts.jsonl; a checked copy with a ``verdict`` per row,
  kg-feedback-conflicts-checked.jsonl, gives ``conflicts_real``: "real" when the text states
  another value than the KG, "extraction_error" when the pipeline misread the text,
  "same_value" when both say the same in other words, "compatible" when both hold).
- The ranking fitted on all the labelled new facts becomes ``kgx compare``'s default
  (kgx_spacy/feedback/ranking.json).

    python bench/kg_feedback.py [--model training/default/model-best]

Writes bench/results/kg-feedback.json.
"""

import argparse
import dataclasses
import json
import os
import random
import subprocess
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Sequence, Set, Tuple

import numpy
import pyoxigraph as ox
import spacy

from common import REPO, RESULTS, WORK, load_docs, write_result
from kgx_spacy.extensions import ATTRIBUTES, DOC_ID, RELATIONS, install_extensions
from kgx_spacy.feedback.compare import (
    CONFLICTING,
    DEFAULT_RANKING,
    FEATURES,
    NEW,
    KnowledgeGraph,
    compare,
    fit_ranking,
    open_source,
    store_rows,
    text,
)
from kgx_spacy.kb.build import read_quads
from kgx_spacy.kge import Plausibility
from kgx_spacy.rdf.mapping import make_literal
from kgx_spacy.rdf.oxigraph import to_oxigraph

OUT = WORK / "kg-feedback"
KB_GRAPH = REPO / "corpus" / "webnlg-distant" / "kb.nt"
DEV = REPO / "corpus" / "webnlg-distant" / "dev.spacy"
HELD_OUT = 0.2
SAMPLE = RESULTS / "kg-feedback-conflicts.jsonl"
CHECKED = RESULTS / "kg-feedback-conflicts-checked.jsonl"
KGE_RECIPE = ["--model", "complex", "--dim", "100", "--epochs", "100", "--batch-size", "100", "--lr", "0.1",
              "--n3", "0.01", "--device", "cpu"]  # project.yml's kge command
Key = Tuple[str, str, str]


def split_graph(quads: List[ox.Quad], fraction: float, seed: int = 0) -> Tuple[List[ox.Quad], Set[Key]]:
    """(the graph without ``fraction`` of its entity–entity triples, the removed triples):
    a triple goes only while both its entities keep another entity–entity triple."""
    facts = [q for q in quads if isinstance(q.object, ox.NamedNode) and q.predicate.value.startswith("http://dbpedia.org/")]
    degree: Dict[str, int] = defaultdict(int)
    for q in facts:
        degree[q.subject.value] += 1
        degree[q.object.value] += 1
    order = list(range(len(facts)))
    random.Random(seed).shuffle(order)
    removed: Set[Key] = set()
    for i in order:
        if len(removed) >= fraction * len(facts):
            break
        q = facts[i]
        if degree[q.subject.value] > 1 and degree[q.object.value] > 1:
            degree[q.subject.value] -= 1
            degree[q.object.value] -= 1
            removed.add(key(q))
    return [q for q in quads if key(q) not in removed], removed


def key(q) -> Key:
    return q.subject.value, q.predicate.value, text(q.object)


def gold_triples(nlp, docs) -> Dict[str, Set[Key]]:
    """Per dev document IRI, its gold relation and attribute triples as the pipeline writes
    them (its property IRIs, literals normalised as ``kgx_rdf`` types them)."""
    mapping = nlp.get_pipe("kgx_rdf").mapping
    gold = {}
    for doc in docs:
        iris = {(e.start, e.end): e.kb_id_ for e in doc.ents if e.kb_id_}
        triples = set()
        for r in doc._.get(RELATIONS):
            head, tail = iris.get(tuple(r["head"])), iris.get(tuple(r["tail"]))
            if head and tail:
                triples.add((head, str(mapping.property_iri(r["label"])), tail))
        for a in doc._.get(ATTRIBUTES):
            entity = iris.get(tuple(a["entity"]))
            if entity:
                value = to_oxigraph(make_literal(a["lexical"], a.get("datatype"), a.get("lang")))
                triples.add((entity, str(mapping.attribute_iri(a["attribute"])), text(value)))
        gold[str(mapping.doc_iri(doc))] = triples
    return gold


def precision_at(labels: Sequence[bool], k: int) -> float:
    return float(numpy.mean(labels[:k])) if len(labels) else 0.0


def average_precision(labels: Sequence[bool]) -> float:
    """Mean of the precision at each right fact's rank (over the ranked list's right facts)."""
    hits, total = 0, 0.0
    for i, right in enumerate(labels, 1):
        if right:
            hits += 1
            total += hits / i
    return total / hits if hits else 0.0


def ranking_figures(prefix: str, scores: numpy.ndarray, labels: numpy.ndarray) -> Dict[str, float]:
    order = numpy.argsort(-scores, kind="stable")
    ranked = labels[order].tolist()
    return {
        f"{prefix}precision_at_100": precision_at(ranked, 100),
        f"{prefix}precision_at_500": precision_at(ranked, 500),
        f"{prefix}average_precision": average_precision(ranked),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "training" / "default" / "model-best")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    install_extensions()
    if not args.model.exists() or not KB_GRAPH.exists():
        sys.exit(f"needs {args.model} and {KB_GRAPH}: run `spacy project run main` first")
    OUT.mkdir(parents=True, exist_ok=True)

    quads = list(read_quads(KB_GRAPH))
    kept, removed = split_graph(quads, HELD_OUT)
    kg_file = OUT / "kg80.nt"
    store = ox.Store()
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in kept)
    store.dump(str(kg_file), format=ox.RdfFormat.N_QUADS)
    kge_dir, times_file = OUT / "kge80", OUT / "seconds.json"
    times = json.loads(times_file.read_text()) if times_file.exists() else {}
    if "kge" not in times:  # a finished step is reused with its time
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kgx_spacy.cli", "kge", "train", str(kg_file), "--output", str(kge_dir),
                        *KGE_RECIPE], check=True)
        times["kge"] = time.perf_counter() - start
        times_file.write_text(json.dumps(times))

    nlp = spacy.load(args.model)
    dev = load_docs(DEV, nlp)
    texts = OUT / "dev.jsonl"
    with texts.open("w", encoding="utf-8") as f:
        for doc in dev:
            f.write(json.dumps({"id": doc._.get(DOC_ID), "text": doc.text}, ensure_ascii=False) + "\n")
    extracted = OUT / "store"
    if "extract" not in times:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kgx_spacy.cli", "extract", str(args.model), str(texts),
                        "--store", str(extracted)], check=True)
        times["extract"] = time.perf_counter() - start
        times_file.write_text(json.dumps(times))
    gold = gold_triples(nlp, dev)
    stated = set().union(*gold.values())

    kg = KnowledgeGraph((q.subject, q.predicate, q.object) for q in kept)
    entity_triples = kg.entity_triples()
    plausibility = Plausibility.from_disk(kge_dir, known=entity_triples)
    rows, nils = store_rows(open_source(extracted))
    facts = compare(rows, nils, kg, plausibility)
    new = [f for f in facts if f.kind == NEW]
    keys = [(f.subject.value, f.predicate.value, text(f.object)) for f in new]
    labels = numpy.array([k in removed or k in stated for k in keys])
    heldout_stated = removed & stated
    found = {k for k in keys if k in heldout_stated}

    # two folds by a hash of the triple: each fact scored by a ranking fitted on the other fold
    fold = numpy.array([zlib.crc32("\x1f".join(k).encode("utf-8")) % 2 for k in keys])
    weights = {}

    def cross_fitted(facts: List) -> numpy.ndarray:
        scores = numpy.zeros(len(facts))
        for part in (0, 1):
            train_rows = [i for i in range(len(facts)) if fold[i] != part]
            ranking = fit_ranking([facts[i] for i in train_rows], labels[train_rows])
            weights.setdefault(f"fold_{part}", ranking.weights)
            test_rows = numpy.flatnonzero(fold == part)
            scores[test_rows] = ranking.score([facts[i] for i in test_rows])
        return scores

    combined = cross_fitted(new)
    # the same ranking without the KGE: what the embeddings add to confidence and documents
    no_kge = cross_fitted([dataclasses.replace(f, plausibility=None) for f in new])
    confidence = numpy.array([f.confidence for f in new])
    kge_only = numpy.array([-1.0 if f.plausibility is None else f.plausibility for f in new])

    conflicts = [f for f in facts if f.kind == CONFLICTING]
    sample = random.Random(0).sample(conflicts, min(30, len(conflicts)))
    texts_by_iri = {str(nlp.get_pipe("kgx_rdf").mapping.doc_iri(doc)): doc.text for doc in dev}
    with SAMPLE.open("w", encoding="utf-8") as f:
        for fact in sample:
            row = {**fact.to_dict(), "texts": [texts_by_iri.get(d, "") for d in fact.documents]}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    metrics = {
        "kg_entity_triples": len(entity_triples) + len(removed), "removed_triples": len(removed),
        "removed_stated_in_dev": len(heldout_stated), "heldout_recall": len(found) / max(1, len(heldout_stated)),
        "facts": len(facts), "new_facts": len(new), "new_facts_right": int(labels.sum()),
        **{f"{kind}_facts": sum(f.kind == kind for f in facts) for kind in ("confirmed", "new_entity")},
        "conflicts_found": len(conflicts),
        "new_facts_with_plausibility": sum(f.plausibility is not None for f in new),
        **ranking_figures("", combined, labels),
        **ranking_figures("confidence_only_", confidence, labels),
        **ranking_figures("no_kge_", no_kge, labels),
        **ranking_figures("kge_only_", kge_only, labels),
        "kge_train_seconds": times["kge"], "extract_seconds": times["extract"],
    }
    checked = [json.loads(line) for line in CHECKED.read_text(encoding="utf-8").splitlines()] if CHECKED.exists() else []
    if [(r["subject"], r["predicate"], r["object"]) for r in checked] == [
        (text(f.subject), text(f.predicate), text(f.object)) for f in sample
    ]:
        metrics["conflicts_checked"] = len(checked)
        metrics["conflicts_real"] = sum(r["verdict"] == "real" for r in checked) / len(checked)
        for verdict in sorted({r["verdict"] for r in checked}):  # real, extraction_error, same_value, compatible
            metrics[f"conflicts_checked_{verdict}"] = sum(r["verdict"] == verdict for r in checked)
    else:
        print(f"{CHECKED} does not hold this run's sample: check {SAMPLE} by hand", flush=True)

    final = fit_ranking(new, labels, source=(
        f"bench/kg_feedback.py: WebNLG dev, {len(new)} new facts ({int(labels.sum())} right), "
        f"cross-fitted average precision {metrics['average_precision']:.3f} "
        f"vs {metrics['confidence_only_average_precision']:.3f} by confidence alone"
    ))
    final.to_disk(DEFAULT_RANKING)
    print({k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}, flush=True)
    write_result(
        "kg-feedback", "webnlg_2020_v3.0_en", "dev", metrics, time.time() - started, -1, "bench/kg_feedback.py",
        model=str(args.model.relative_to(REPO)) if args.model.is_relative_to(REPO) else str(args.model),
        fold_weights=weights, ranking_weights=list(final.weights), ranking_features=list(FEATURES),
    )


if __name__ == "__main__":
    main()
