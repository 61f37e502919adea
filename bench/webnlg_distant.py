"""How much of WebNLG's triples distant supervision finds in their texts, and how well.

Runs the ``webnlg-distant`` converter (``kgx_spacy.supervision.distant``: each text against
its entry's triples) over train, dev and test: fact, entity and literal coverage, and
how arguments were matched. Writes a random sample (seed 0) of 100 dev facts found
(relations and attributes, with their spans) for checking by hand; a checked copy with a
``correct`` field per row (bench/results/webnlg-distant-sample-checked.jsonl) gives
``sample_precision``.

    python bench/webnlg_distant.py

Writes bench/results/webnlg-distant.json and webnlg-distant-sample.jsonl.
"""

import json
import random
import time

from common import RESULTS, write_result
from kgx_spacy.corpora import data_dir, webnlg_distant

SPLITS = ("train", "dev", "test")
SAMPLE_SIZE = 100
CHECKED = RESULTS / "webnlg-distant-sample-checked.jsonl"


def facts_found(doc) -> list:
    rows = []
    for r in doc._.kgx_relations:
        rows.append({"subject": doc[slice(*r["head"])].text, "predicate": r["label"], "object": doc[slice(*r["tail"])].text})
    for a in doc._.kgx_attributes:
        rows.append({"subject": doc[slice(*a["entity"])].text, "predicate": a["attribute"],
                     "object": doc[slice(*a["value"])].text, "literal": a["lexical"]})
    for row in rows:
        row.update({"doc_id": doc._.kgx_doc_id, "text": doc.text, "triples": doc._.kgx_gold_triples})
    return rows


def main() -> None:
    started = time.time()
    metrics, sample_pool = {}, []
    for split in SPLITS:
        begin = time.perf_counter()
        docs, report = webnlg_distant.read(split, data_dir())
        seconds = time.perf_counter() - begin
        data = report.to_dict()
        for key in ("fact_coverage", "entity_coverage", "literal_coverage"):
            metrics[f"{key}_{split}"] = data[key]
        metrics[f"facts_{split}"] = report.facts
        metrics[f"texts_per_second_{split}"] = len(docs) / seconds
        for kind, n in report.match_kinds.items():
            metrics[f"{kind}_matches_{split}"] = n
        if split == "dev":
            sample_pool = [row for doc in docs for row in facts_found(doc)]
        print(report.summary(), flush=True)
    sample = random.Random(0).sample(sample_pool, SAMPLE_SIZE)
    with open(RESULTS / "webnlg-distant-sample.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in sample)
    if CHECKED.exists():
        checked = [json.loads(line) for line in CHECKED.read_text(encoding="utf-8").splitlines()]
        metrics["sample_precision"] = sum(row["correct"] for row in checked) / len(checked)
        metrics["sample_checked"] = len(checked)
    write_result("webnlg-distant", "webnlg_2020_v3.0_en", "train+dev+test", metrics, time.time() - started, -1,
                 "bench/webnlg_distant.py", encoder="none")


if __name__ == "__main__":
    main()
