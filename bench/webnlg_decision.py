"""WebNLG dev: the default pipeline's decision rule, chosen for the set-level metric.

The pipeline runs once over the WebNLG dev texts; its relation and attribute scores are
then decided again under each setting of the grid, and the resulting WebNLG triples are
scored with the WebNLG+ 2020 scorer (exact F1) against the dev references:

- ``max_labels_per_pair`` (kgx_relation_classifier): at most this many predicates per
  entity pair (0: no cap);
- ``attach_threshold`` (kgx_relation_classifier): an entity without any relation takes its
  most probable one when it reaches this (off: none);
- ``threshold`` (kgx_attribute_tagger): the probability a tagged value needs to be given
  to its most probable entity.

    python bench/webnlg_decision.py [--model training/default/model-best] [--dev corpus/webnlg-distant/dev.spacy]

Writes bench/results/webnlg-decision.json (every setting's dev figures, and the best).
The test split is not touched; configs/default_en.cfg carries the chosen setting.
"""

import argparse
import itertools
import os
import time
from pathlib import Path

import spacy
from common import REPO, load_docs, write_result
from webnlg_text2rdf import doc_triples, literal_styles

from kgx_spacy.corpora import data_dir, webnlg
from kgx_spacy.evaluation.webnlg import score
from kgx_spacy.extensions import GOLD_TRIPLES

CAPS = (0, 1)
ATTACH = (None, 0.5, 0.2, 0.1, 0.05, 0.02, 0.0)
ATTRIBUTE_THRESHOLDS = (0.5, 0.3, 0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "training" / "default" / "model-best")
    parser.add_argument("--dev", type=Path, default=REPO / "corpus" / "webnlg-distant" / "dev.spacy")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    nlp = spacy.load(args.model)
    relations, attributes = nlp.get_pipe("kgx_relation_classifier"), nlp.get_pipe("kgx_attribute_tagger")
    gold = load_docs(args.dev, nlp)
    references = [[tuple(t) for t in doc._.get(GOLD_TRIPLES)] for doc in gold]
    train, _ = webnlg.read("train", data_dir())
    styles = literal_styles([tuple(t) for doc in train for t in doc._.get(GOLD_TRIPLES)])
    docs = list(nlp.pipe(doc.text for doc in gold))
    relation_scores, attribute_scores = relations.predict(docs), attributes.predict(docs)
    metrics, best = {}, None
    for cap, attach, attribute_threshold in itertools.product(CAPS, ATTACH, ATTRIBUTE_THRESHOLDS):
        relations.cfg["max_labels_per_pair"], relations.cfg["attach_threshold"] = cap, attach
        attributes.cfg["threshold"] = attribute_threshold
        relations.set_annotations(docs, relation_scores)
        attributes.set_annotations(docs, attribute_scores)
        candidates = [doc_triples(doc, styles) for doc in docs]
        figures = score(candidates, references)
        name = f"cap{cap}_attach{attach}_attr{attribute_threshold}"
        metrics[f"{name}_triples_f1_exact"] = figures["triples_f1_exact"]
        metrics[f"{name}_texts_without_triples"] = sum(not c for c in candidates)
        print(name, round(figures["triples_f1_exact"], 4), figures["candidate_triples"], flush=True)
        if best is None or figures["triples_f1_exact"] > best[1]:
            best = ((cap, attach, attribute_threshold), figures["triples_f1_exact"])
    (cap, attach, attribute_threshold), f1 = best
    metrics.update({"best_max_labels_per_pair": cap, "best_attach_threshold": attach,
                    "best_attribute_threshold": attribute_threshold, "best_triples_f1_exact": f1})
    write_result(
        "webnlg-decision", "webnlg_2020_v3.0_en", "dev", metrics, time.time() - started, -1,
        "bench/webnlg_decision.py", model=str(args.model),
    )


if __name__ == "__main__":
    main()
