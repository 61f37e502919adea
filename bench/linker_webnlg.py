"""Entity linking on WebNLG v3.0: the KB is DBpedia as the train triples give it.

1. ``kgx convert webnlg-links``: texts with their triples' resources aligned (gold mentions).
2. KB from the train triples (``write_kb_rdf`` → ``build_kb``), ComplEx KGE on the same graph.
3. NER (one label, ENT) on the aligned train mentions: configs/ner_trf.cfg.
4. The linker on the frozen NER (configs/linker_trf.cfg), with the KGE and text-only.
5. On dev and test: gold IRIs missing from the KB are NIL. ``el_accuracy``: gold mentions
   given, share linked right (NIL = NIL); ``nil_accuracy`` / ``in_kb_accuracy`` its two
   parts; ``el_f``: end to end, predicted mentions, (span, IRI or NIL) micro F1;
   ``text_only_*``: the same for the linker without the KGE.

    python bench/linker_webnlg.py [--ner-steps 1000] [--linker-steps 500] [--skip-train]

Writes bench/results/linker-webnlg.json.
"""

import argparse
import os
import time
from pathlib import Path
from typing import Dict, List

import spacy
from spacy.training import Example

from common import REPO, WORK, convert, load_docs, measure_speed, train, write_result
from kgx_spacy.corpora.webnlg_links import write_kb_rdf
from kgx_spacy.extensions import LINKS
from kgx_spacy.kb import KB, build_kb
from kgx_spacy.kge import KGEModel, TrainingConfig, TriplesFactory, read_triples, train as train_kge
from kgx_spacy.linking.component import linker_score


def build_graph(corpus: Path, nlp) -> Dict[str, Path]:
    """The KB folder and the KGE folder of the train triples' DBpedia graph."""
    nt, kb_dir, kge_dir = WORK / "webnlg-kb.nt", WORK / "webnlg-kb", WORK / "webnlg-kge"
    if not (kge_dir / "kge.json").exists():
        write_kb_rdf(load_docs(corpus / "train.spacy", nlp), nt)
        build_kb([nt]).to_disk(kb_dir)
        triples = read_triples(nt)
        factory = TriplesFactory.from_triples(triples)
        model = KGEModel("complex", factory, dim=100, reciprocal=True)
        config = TrainingConfig(mode="1-n", epochs=100, batch_size=100, lr=0.1, n3_weight=0.01, device="cpu")
        result = train_kge(model, factory.map(triples), config)
        print(f"KGE: {len(triples)} triples, {len(factory.entities)} entities, final loss {result.losses[-1]:.3f}", flush=True)
        model.to_disk(kge_dir)
    return {"nt": nt, "kb": kb_dir, "kge": kge_dir}


def gold_with_nil(docs: List, kb: KB) -> List:
    """Mark the gold links whose IRI is not in the KB as NIL (the linker must say NIL)."""
    for doc in docs:
        doc._.set(LINKS, [{"start": e.start, "end": e.end, "iri": e.kb_id_, "score": 1.0, "nil": kb.entity_id(e.kb_id_) is None} for e in doc.ents])
    return docs


def link_gold_mentions(nlp, gold: List) -> Dict[str, float]:
    """Accuracy with the gold mentions given: overall, on NIL mentions, on in-KB mentions,
    and how often the right entity is among the candidates."""
    right = {True: 0, False: 0}
    total = {True: 0, False: 0}
    in_candidates = 0
    linker = nlp.get_pipe("kgx_entity_linker")
    docs = []
    for doc in gold:
        pred = nlp.make_doc(doc.text)
        pred.ents = [pred.char_span(e.start_char, e.end_char, label=e.label_) for e in doc.ents]
        docs.append(pred)
    with nlp.select_pipes(enable=["transformer", "kgx_entity_linker"]):
        for gold_doc, pred in zip(gold, nlp.pipe(docs)):
            predicted = {(r["start"], r["end"]): r for r in pred._.get(LINKS)}
            for record in gold_doc._.get(LINKS):
                nil = record["nil"]
                got = predicted[(record["start"], record["end"])]
                total[nil] += 1
                right[nil] += got["nil"] if nil else (not got["nil"] and got["iri"] == record["iri"])
                if not nil:
                    span = pred[record["start"] : record["end"]]
                    in_candidates += record["iri"] in {c.iri for c in linker.mentions([span])[0].candidates}
    n = total[True] + total[False]
    return {
        "el_accuracy": (right[True] + right[False]) / n,
        "nil_accuracy": right[True] / total[True] if total[True] else 0.0,
        "in_kb_accuracy": right[False] / total[False] if total[False] else 0.0,
        "candidate_recall": in_candidates / total[False] if total[False] else 0.0,
        "gold_mentions": n,
        "gold_nil_mentions": total[True],
    }


def end_to_end(nlp, gold: List) -> Dict[str, float]:
    predicted = list(nlp.pipe(doc.text for doc in gold))
    return linker_score([Example(p, g) for p, g in zip(predicted, gold)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ner-steps", type=int, default=1000)
    parser.add_argument("--linker-steps", type=int, default=500)
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--skip-train", action="store_true", help="reuse trained models")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    corpus = convert("webnlg-links")
    blank = spacy.blank("en")
    graph = build_graph(corpus, blank)
    ner, with_kge, text_only = WORK / "webnlg-ner", WORK / "webnlg-linker", WORK / "webnlg-linker-text"
    metrics: Dict = {}
    curves = {}
    if not args.skip_train:
        if not (ner / "model-best").exists():
            train(REPO / "configs" / "ner_trf.cfg", corpus, ner, args.ner_steps, args.gpu_id)
        common = ("--paths.ner_model", str(ner / "model-best"), "--paths.kb", str(graph["kb"]))
        linker_curve = ("el_accuracy", "el_micro_f")
        runs = {
            "": train(REPO / "configs" / "linker_trf.cfg", corpus, with_kge, args.linker_steps, args.gpu_id,
                      *common, "--paths.kge", str(graph["kge"]), curve=linker_curve),
            "text_only_": train(REPO / "configs" / "linker_trf.cfg", corpus, text_only, args.linker_steps, args.gpu_id,
                                *common, "--paths.kge", "null", "--components.kgx_entity_linker.use_kge", "false",
                                curve=linker_curve),
        }
        for prefix, spent in runs.items():
            curves[f"{prefix or 'kge_'}dev"] = spent.pop("dev_curve")
            metrics.update({prefix + k: v for k, v in spent.items()})
    kb = KB.from_disk(graph["kb"])
    metrics.update({"kb_entities": len(kb), "kb_triples": len(kb.triples)})
    for split in ("dev", "test"):
        for name, model in (("", with_kge), ("text_only_", text_only)):
            nlp = spacy.load(model / "model-best")
            gold = gold_with_nil(load_docs(corpus / f"{split}.spacy", nlp), kb)
            scores = {**link_gold_mentions(nlp, gold), **end_to_end(nlp, gold)}
            prefix = f"{name}" if split == "test" else f"dev_{name}"
            for key in ("el_accuracy", "nil_accuracy", "in_kb_accuracy", "candidate_recall", "el_micro_f"):
                metrics[prefix + key.replace("el_micro_f", "el_f")] = scores[key]
            if not name:
                metrics[f"{'' if split == 'test' else 'dev_'}gold_mentions"] = scores["gold_mentions"]
                metrics[f"{'' if split == 'test' else 'dev_'}gold_nil_mentions"] = scores["gold_nil_mentions"]
            print(split, name or "kge_", {k: round(v, 4) for k, v in scores.items()}, flush=True)
    nlp = spacy.load(with_kge / "model-best")
    texts = [doc.text for doc in load_docs(corpus / "test.spacy", nlp)]
    metrics.update(measure_speed(nlp, texts, args.gpu_id))
    write_result(
        "linker-webnlg", "webnlg", "test", metrics, time.time() - started, args.gpu_id, "bench/linker_webnlg.py",
        dev_curves=curves,
    )


if __name__ == "__main__":
    main()
