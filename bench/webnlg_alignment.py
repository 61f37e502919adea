"""How many WebNLG entities the aligner finds in their texts, and how.

Runs ``kgx_spacy.corpora.webnlg_links`` alignment (the entry's resources, i.e. its
triples' subjects and non-literal objects, against each of its texts) over train and
dev. coverage: aligned entities / entities; ``<kind>_share``: entities aligned by an
exact, variant or fuzzy match / entities. Also writes a random sample (seed 0) of 100
alignments, for checking their precision by hand.

    python bench/webnlg_alignment.py

Writes bench/results/webnlg-alignment.json and webnlg-alignment-sample.jsonl.
"""

import json
import random
import time
from collections import Counter

from common import RESULTS, write_result

from kgx_spacy.corpora import data_dir, webnlg
from kgx_spacy.corpora.webnlg_links import aligner, entity_iri, resources
from kgx_spacy.supervision.align import EXACT, FUZZY, VARIANT

SPLITS = ("train", "dev")
SAMPLE_SIZE = 100


def main() -> None:
    started = time.time()
    metrics, alignments = {}, []
    totals, kinds = Counter(), Counter()
    align_seconds = 0.0
    for split in SPLITS:
        docs, _ = webnlg.read(split, data_dir())
        start = time.perf_counter()
        entities, found, names, align = 0, Counter(), None, None
        for doc in docs:
            entry = resources(doc._.kgx_gold_triples)
            if entry != names:
                names, align = entry, aligner(entry)
            name_of = {entity_iri(name): name for name in names}
            entities += len(names)
            for mention in align(doc):
                found[mention.kind] += 1
                alignments.append({
                    "split": split, "doc_id": doc._.kgx_doc_id, "text": doc.text,
                    "entity": name_of[mention.iri], "span": doc[mention.start : mention.end].text,
                    "kind": mention.kind, "score": round(mention.score, 3),
                })
        align_seconds += time.perf_counter() - start
        metrics[f"docs_{split}"] = len(docs)
        metrics[f"entities_{split}"] = entities
        metrics[f"coverage_{split}"] = sum(found.values()) / entities
        totals["entities"] += entities
        kinds.update(found)
    metrics["entities"] = totals["entities"]
    metrics["aligned"] = sum(kinds.values())
    metrics["coverage"] = metrics["aligned"] / totals["entities"]
    for kind in (EXACT, VARIANT, FUZZY):
        metrics[f"{kind}_share"] = kinds[kind] / totals["entities"]
        metrics[kind] = kinds[kind]
    metrics["align_seconds"] = align_seconds
    metrics["docs_per_second"] = sum(metrics[f"docs_{s}"] for s in SPLITS) / align_seconds
    sample = random.Random(0).sample(alignments, SAMPLE_SIZE)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "webnlg-alignment-sample.jsonl", "w", encoding="utf-8") as f:
        for record in sample:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    write_result(
        "webnlg-alignment", "webnlg_2020_v3.0_en", "+".join(SPLITS), metrics,
        time.time() - started, -1, "bench/webnlg_alignment.py", encoder=None,
    )


if __name__ == "__main__":
    main()
