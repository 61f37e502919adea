"""Where WebNLG triples are lost: every dev reference triple classed by the first step of
the default pipeline that loses it.

For each reference triple of a WebNLG dev text (``corpus/webnlg-distant/dev.spacy``, whose
gold annotation is the distant aligner's), the first cause that applies:

- ``found``: one of the pipeline's WebNLG triples (``webnlg_text2rdf.doc_triples``) is an
  exact match for it by the WebNLG+ 2020 scorer (exact F1 1 as a one-triple text);
- ``not_aligned``: the aligner found no span for the fact in the text, so no gold record
  exists and the pipeline was never taught it;
- ``entity_missed`` / ``entity_boundary``: a gold entity span of the fact is not among the
  predicted entities (no overlap / overlapping with other boundaries);
- ``value_missed`` / ``value_boundary``: likewise for the literal value span of an attribute;
- ``pair_not_scored``: both spans predicted, but the pair is not a candidate;
- ``below_threshold``: the pair was scored, the gold predicate's probability is under the
  threshold and no other predicate is over it;
- ``wrong_predicate``: the pair was scored and another predicate is over the threshold;
- ``value_elsewhere``: the value was tagged and its predicate, but given to another entity;
- ``written_differently``: the pipeline states this very fact between these spans, but its
  WebNLG triple is written otherwise (a linked name, a NIL name, a literal's form).

Also counted: predicted triples, exact ones, texts without any predicted triple.

    python bench/webnlg_losses.py --model training/default/model-best [--dev corpus/webnlg-distant/dev.spacy] [--limit 0]

Writes bench/results/webnlg-losses.json.
"""

import argparse
import os
import time
from collections import Counter
from pathlib import Path

import spacy
from common import REPO, load_docs, write_result
from webnlg_text2rdf import doc_triples, literal_styles

from kgx_spacy.corpora import data_dir, webnlg
from kgx_spacy.corpora.webnlg_links import entity_iri, is_literal
from kgx_spacy.evaluation.webnlg import score
from kgx_spacy.extensions import ATTRIBUTES, GOLD_TRIPLES, LINKS, RELATIONS

CAUSES = (
    "found", "not_aligned", "entity_missed", "entity_boundary", "value_missed", "value_boundary",
    "pair_not_scored", "below_threshold", "wrong_predicate", "value_elsewhere", "written_differently",
)


def exact(candidate: tuple, reference: tuple) -> bool:
    """Whether the scorer counts ``candidate`` an exact match of ``reference``."""
    return score([[candidate]], [[reference]])["triples_f1_exact"] == 1.0


def span_cause(span: tuple, predicted: set, missed: str, boundary: str):
    """None when ``span`` is predicted exactly, else why not."""
    if span in predicted:
        return None
    start, end = span
    return boundary if any(s < end and start < e for s, e in predicted) else missed


def relation_cause(gold_record: dict, pred, relations) -> str:
    head, tail = tuple(gold_record["head"]), tuple(gold_record["tail"])
    ents = {(e.start, e.end) for e in pred.ents}
    for span in (head, tail):
        cause = span_cause(span, ents, "entity_missed", "entity_boundary")
        if cause:
            return cause
    label = gold_record["label"]
    stated = {(tuple(r["head"]), tuple(r["tail"]), r["label"]) for r in pred._.get(RELATIONS)}
    if (head, tail, label) in stated:
        return "written_differently"
    by_span = {(e.start, e.end): e for e in pred.ents}
    pair = (by_span[head], by_span[tail])
    if not any((h.start, h.end, t.start, t.end) == (*head, *tail) for h, t in relations.candidates(pred.ents)):
        return "pair_not_scored"
    if any((h, t) == (head, tail) for h, t, _ in stated):
        return "wrong_predicate"
    if label not in relations.labels:
        return "below_threshold"  # a predicate never seen in training: no score at all
    probs = relations.pair_probabilities([pred], [[pair]])[0][0]
    others = [k for k, name in enumerate(relations.labels) if name != label and probs[k] >= relations._thresholds()[k]]
    return "wrong_predicate" if others else "below_threshold"


def attribute_cause(gold_record: dict, pred, values_key: str) -> str:
    entity, value = tuple(gold_record["entity"]), tuple(gold_record["value"])
    cause = span_cause(entity, {(e.start, e.end) for e in pred.ents}, "entity_missed", "entity_boundary")
    if cause:
        return cause
    tagged = {(s.start, s.end) for s in pred.spans.get(values_key, [])}
    cause = span_cause(value, tagged, "value_missed", "value_boundary")
    if cause:
        return cause
    label = gold_record["attribute"]
    stated = [(tuple(a["entity"]), tuple(a["value"]), a["attribute"]) for a in pred._.get(ATTRIBUTES)]
    if (entity, value, label) in stated:
        return "written_differently"
    if any(v == value and name == label for _, v, name in stated):
        return "value_elsewhere"
    return "wrong_predicate" if any(v == value for _, v, _ in stated) else "below_threshold"


def gold_record(gold, triple):
    """The gold relation or attribute record of a reference triple, or None (not aligned)."""
    subject, predicate, obj = triple
    links = {(r["start"], r["end"]): r["iri"] for r in gold._.get(LINKS)}
    if is_literal(obj):
        for record in gold._.get(ATTRIBUTES):
            if record["attribute"] == predicate and links.get(tuple(record["entity"])) == entity_iri(subject):
                return "attribute", record
        return None, None
    for record in gold._.get(RELATIONS):
        if (record["label"] == predicate and links.get(tuple(record["head"])) == entity_iri(subject)
                and links.get(tuple(record["tail"])) == entity_iri(obj)):
            return "relation", record
    return None, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "training" / "default" / "model-best")
    parser.add_argument("--dev", type=Path, default=REPO / "corpus" / "webnlg-distant" / "dev.spacy")
    parser.add_argument("--limit", type=int, default=0, help="the first N dev texts only")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    nlp = spacy.load(args.model)
    relations = nlp.get_pipe("kgx_relation_classifier")
    values_key = nlp.get_pipe("kgx_attribute_tagger").cfg["spans_key"]
    gold_docs = load_docs(args.dev, nlp)[: args.limit or None]
    train, _ = webnlg.read("train", data_dir())
    styles = literal_styles([tuple(t) for doc in train for t in doc._.get(GOLD_TRIPLES)])
    causes = {"relation": Counter(), "attribute": Counter()}
    metrics = Counter()
    for gold, pred in zip(gold_docs, nlp.pipe(doc.text for doc in gold_docs)):
        predicted = doc_triples(pred, styles)
        metrics["predicted_triples"] += len(predicted)
        metrics["texts_without_triples"] += not predicted
        references = [tuple(t) for t in gold._.get(GOLD_TRIPLES)]
        matches = [[exact(c, r) for r in references] for c in predicted]  # scored once per pair
        metrics["exact_predicted_triples"] += sum(any(row) for row in matches)
        for j, triple in enumerate(references):
            kind = "attribute" if is_literal(triple[2]) else "relation"
            if any(row[j] for row in matches):
                causes[kind]["found"] += 1
                continue
            found_kind, record = gold_record(gold, triple)
            if record is None:
                causes[kind]["not_aligned"] += 1
            elif found_kind == "relation":
                causes[kind][relation_cause(record, pred, relations)] += 1
            else:
                causes[kind][attribute_cause(record, pred, values_key)] += 1
    result = {"texts": len(gold_docs), **metrics}
    for kind, counts in causes.items():
        total = sum(counts.values())
        result[f"{kind}_reference_triples"] = total
        for cause in CAUSES:
            result[f"{kind}_{cause}"] = counts[cause]
        print(kind, total, {c: f"{counts[c] / max(total, 1):.3f}" for c in CAUSES if counts[c]}, flush=True)
    print({k: v for k, v in result.items() if not k.startswith(("relation_", "attribute_"))})
    write_result(
        "webnlg-losses", "webnlg_2020_v3.0_en", "dev", result, time.time() - started, -1,
        "bench/webnlg_losses.py", model=str(args.model),
    )


if __name__ == "__main__":
    main()
