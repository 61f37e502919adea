"""WebNLG dev: the default pipeline's decision rule, chosen for the set-level metric.

The pipeline runs once over the WebNLG dev texts; its relation and attribute scores are
then decided again under each setting of the grid, and the resulting WebNLG triples are
scored with the WebNLG+ 2020 scorer (exact F1) against the dev references:

- ``max_labels_per_pair`` (kgx_relation_classifier): at most this many predicates per
  entity pair (0: no cap);
- ``attach_threshold`` (kgx_relation_classifier): an entity without any relation takes its
  most probable one when it reaches this (off: none);
- ``threshold`` (kgx_attribute_tagger): the probability a tagged value needs to be given
  to its most probable entity;
- ``kge_weight`` (kgx_relation_classifier): how much the KGE vouches for a fact between
  linked entities. 99% of dev's triples are train triples, so a KGE of the whole train
  graph would vouch for nearly every dev fact (on test: 36%). The weight is chosen with
  ``--kge``: by default the open-world KGE of ``bench/linker_webnlg.py`` (the train graph
  without half the categories), so that, as on test, about half the texts speak of
  entities the KGE has never seen. ``no_kge_best_*``: the best setting at weight 0.

    python bench/webnlg_decision.py [--model training/default/model-best] [--dev corpus/webnlg-distant/dev.spacy]
        [--kge bench/work/webnlg-open-world-kge]

Writes bench/results/webnlg-decision.json (every setting's dev figures, and the best).
The test split is not touched; configs/default_en.cfg carries the chosen setting.
"""

import argparse
import itertools
import os
import time
from pathlib import Path

import spacy
from common import REPO, WORK, load_docs, write_result
from webnlg_text2rdf import doc_triples, literal_styles

from kgx_spacy.corpora import data_dir, webnlg
from kgx_spacy.evaluation.webnlg import score
from kgx_spacy.extensions import GOLD_TRIPLES

CAPS = (0, 1)
ATTACH = (None, 0.5, 0.2, 0.1, 0.05, 0.02, 0.0)
ATTRIBUTE_THRESHOLDS = (0.5, 0.3, 0.1)
KGE_WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "training" / "default" / "model-best")
    parser.add_argument("--dev", type=Path, default=REPO / "corpus" / "webnlg-distant" / "dev.spacy")
    parser.add_argument("--kge", type=Path, default=WORK / "webnlg-open-world-kge",
                        help="the KGE that vouches for dev's linked facts while kge_weight is chosen")
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
    relations.use_kge(args.kge)
    attribute_scores = attributes.predict(docs)
    metrics, best = {}, {}
    for weight in KGE_WEIGHTS:
        relations.cfg["kge_weight"] = weight
        relation_scores = relations.predict(docs)
        for cap, attach, attribute_threshold in itertools.product(CAPS, ATTACH, ATTRIBUTE_THRESHOLDS):
            relations.cfg["max_labels_per_pair"], relations.cfg["attach_threshold"] = cap, attach
            attributes.cfg["threshold"] = attribute_threshold
            relations.set_annotations(docs, relation_scores)
            attributes.set_annotations(docs, attribute_scores)
            candidates = [doc_triples(doc, styles) for doc in docs]
            figures = score(candidates, references)
            name = f"kge{weight}_cap{cap}_attach{attach}_attr{attribute_threshold}"
            metrics[f"{name}_triples_f1_exact"] = figures["triples_f1_exact"]
            metrics[f"{name}_texts_without_triples"] = sum(not c for c in candidates)
            print(name, round(figures["triples_f1_exact"], 4), figures["candidate_triples"], flush=True)
            setting = {"kge_weight": weight, "max_labels_per_pair": cap, "attach_threshold": attach,
                       "attribute_threshold": attribute_threshold, "triples_f1_exact": figures["triples_f1_exact"]}
            for prefix in ("best_", "no_kge_best_") if weight == 0 else ("best_",):
                if prefix not in best or setting["triples_f1_exact"] > best[prefix]["triples_f1_exact"]:
                    best[prefix] = setting
    # the candidate pairs the KGE vouches for at all (some label's z above 0), of all pairs
    vouched = [relations.kge_prior(doc, pairs).any(1) for doc, (pairs, _) in zip(docs, relation_scores)]
    metrics["kge_vouched_pairs"] = int(sum(v.sum() for v in vouched))
    metrics["candidate_pairs"] = int(sum(len(v) for v in vouched))
    for prefix, setting in best.items():
        metrics.update({prefix + k: v for k, v in setting.items()})
    write_result(
        "webnlg-decision", "webnlg_2020_v3.0_en", "dev", metrics, time.time() - started, -1,
        "bench/webnlg_decision.py", model=str(args.model), kge=str(args.kge),
    )


if __name__ == "__main__":
    main()
