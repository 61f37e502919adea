"""Render bench/results/*.json as the README's tables (between the markers): the benchmark
table, and the dev curves of the NER learning and relation pair ablations.

    python bench/table.py          # rewrite the table in README.md
    python bench/table.py --check  # exit 1 if README.md is out of date
"""

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
README = REPO / "README.md"
BEGIN, END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"
# (README markers, result file, dev metric, steps shown)
ABLATIONS = [
    ("ner-ablation-table", "ner-learning-ablation", "ents_f", (100, 200, 300)),
    ("pair-ablation-table", "relation-pair-ablation", "rel_micro_f", (200, 400, 600)),
]

# Published figures to read ours against: (metric, anchor text).
ANCHORS = {
    "export": {"rdflib_triples_per_second": "baseline: rdflib SPARQLUpdateStore, triple by triple, same server"},
    "conll04-ner": {
        "ents_f": "SpERT (BERT-base, 110M) 0.889",
        "spacy_ner_ents_f": "baseline: spaCy ner, same encoder, data and budget",
        "encoder_words_per_second": "baseline: MiniLM forward pass alone",
    },
    "conll04-joint": {"rel_micro_f": "SpERT 0.715 · REBEL 0.754 · ReLiK-large 0.781",
                      "train_dev_rel_micro_f": "SpERT 0.715 (its protocol: trained on train + dev)"},
    "knowledgenet-attributes": {"text_f1": "KnowledgeNet baseline 0.688 · DYGIE++ 0.754 · Diffbot 0.810"},
    "kge-wn18rr": {"mrr": "LibKGE ComplEx 0.475 · RotatE 0.478"},
    "kge-fb15k237": {"mrr": "LibKGE ComplEx 0.348 · RotatE 0.333"},
    "webnlg-text2rdf": {
        "triples_f1_exact": "WebNLG+ 2020: Amazon AI (Shanghai) 0.689 · bt5 0.682 · Text2KGBench Vicuna-13B 0.30",
        "encoder_words_per_second": "baseline: MiniLM forward pass alone",
    },
    "deepke-ae-zh": {
        "attr_f": "no published figure on this split; the encoder with the better dev attr_f",
        "cnn_attr_f": "spaCy hash-embedding CNN, same heads and data",
    },
    "inference-speed": {
        "int8_words_per_second": "transformer + kgx_ner, encoder int8; goal ≥ 1.6 × the fp32 encoder alone",
        "encoder_words_per_second": "baseline: MiniLM fp32 forward pass alone",
        "words_per_second": "transformer + kgx_ner, fp32",
        "int8_ents_f_drop": "fp32 − int8, CoNLL04 test; goal ≤ 0.005",
        "int8_triples_f1_drop": "fp32 − int8, WebNLG dev, default pipeline; goal ≤ 0.005",
    },
    "ray-extract": {
        "single_process_words_per_second": "baseline: one-process kgx extract, same texts and store, same run",
        "lost": "an actor SIGKILLed mid-run; goal 0",
        "duplicated": "goal 0",
    },
    "serve": {
        "documents_per_second": "kgx serve, concurrent clients, one text per request",
        "pipe_documents_per_second": "baseline: nlp.pipe alone on the same texts, same run",
    },
    "linker-webnlg": {"text_only_el_accuracy": "ablation: the same linker without the KGE (prior + context)"},
    "own-kg-knowledgenet": {
        "link_f1": "KnowledgeNet, supervised, hidden fold 5: baseline 5 0.504 · Diffbot 0.726 · human 0.822",
        "supervised_link_f1": "baseline: the same config trained on the annotated folds, same budget",
    },
    "kg-feedback": {
        "average_precision": "the learned ranking, cross-fitted",
        "confidence_only_average_precision": "baseline: extraction confidence alone",
        "no_kge_average_precision": "ablation: the ranking without the KGE (confidence, documents)",
        "kge_only_average_precision": "ablation: the KGE's percentile alone",
    },
}


# Figures the table shows (DESIGN.md's vocabulary), alone or behind a baseline's prefix;
# everything else stays in the JSON.
FIGURES = {
    "ents_f", "dev_ents_f", "rel_micro_f", "attr_f", "text_f1", "el_accuracy", "el_f", "nil_accuracy", "mrr", "hits_at_1",
    "hits_at_10", "triples_f1_exact", "triples_f1_partial", "triples_f1_strict",
    "words_per_second", "encoder_words_per_second", "triples_per_second", "seconds_per_epoch",
    "seconds_per_full_epoch", "flop_seconds_per_epoch", "train_seconds", "train_steps", "train_epochs", "train_words_per_second",
    "encoder_train_words_per_second", "triples_f1_exact_seen", "triples_f1_exact_unseen_categories",
    "triples_f1_exact_unseen_entities", "texts_without_triples", "candidate_triples", "link_f1",
}
PREFIXES = (
    "", "spacy_ner_", "pykeen_", "text_only_", "rdflib_", "server_", "server_gsp_", "stepwise_", "trf_", "cnn_",
    "amazon_", "bt5_", "cyclegt_", "baseline_", "supervised_", "int8_",
)


# Extra figures some benchmarks show (by metric name prefix).
EXTRA = {
    "kb-scale": ("build_seconds_", "peak_mb_", "lookups_per_second_", "fuzzy_"),
    "webnlg-alignment": ("coverage",),
    "webnlg-distant": ("fact_coverage", "entity_coverage", "literal_coverage", "sample_precision"),
    "webnlg-decision": ("best_",),
    "inference-speed": ("int8_ents_f", "int8_ents_f_drop", "int8_triples_f1_drop", "int8_encoder_words", "webnlg_dev_"),
    "own-kg-knowledgenet": ("distant_fact_coverage", "distant_sample_precision"),
    "ray-extract": ("documents", "lost", "duplicated", "actors_killed", "single_process_words_per_second",
                    "ray_1_actor_words_per_second", "ray_1_actor_steady", "ray_2_actors_words_per_second",
                    "ray_2_actors_steady", "ray_overhead_seconds_per_batch", "driver_store_documents_per_second"),
    "serve": ("requests", "errors", "p50_ms", "p95_ms", "documents_per_second", "pipe_documents_per_second",
              "peak_rss_mb", "bad_request_checks_failed"),
    "kg-feedback": ("heldout_recall", "precision_at_", "average_precision", "confidence_only_", "no_kge_average",
                    "kge_only_average", "conflicts_found", "conflicts_real"),
}
# Benchmarks whose figures only their own README table shows.
OWN_TABLE = {"webnlg-losses"}


def shown(benchmark: str, metric: str) -> bool:
    if benchmark in OWN_TABLE:
        return False
    if metric.startswith(EXTRA.get(benchmark, ())):
        return True
    return any(metric.startswith(p) and metric[len(p) :] in FIGURES for p in PREFIXES)


def render() -> str:
    rows = [
        "| benchmark | dataset / split | machine | metric | value | anchor |",
        "|---|---|---|---|---|---|",
    ]
    for path in sorted(RESULTS.glob("*.json")):
        result = json.loads(path.read_text())
        anchors = ANCHORS.get(result["benchmark"], {})
        for metric, value in result["metrics"].items():
            if not shown(result["benchmark"], metric):
                continue
            text = f"{value:,.0f}" if abs(value) >= 1000 else (f"{value:.4g}" if isinstance(value, float) else str(value))
            rows.append(
                f"| {path.stem} | {result['dataset']} / {result['split']} | {result['machine']} "
                f"| `{metric}` | {text} | {anchors.get(metric, '')} |"
            )
    return "\n".join(rows)


def render_curves(result: dict, metric: str, steps) -> str:
    """One row per variant of an ablation result: its dev ``metric`` at ``steps``, and its best."""
    steps_text = " / ".join(map(str, steps))
    rows = [f"| variant | dev `{metric}` at step {steps_text} | best |", "|---|---|---|"]
    for name, curve in result["dev_curves"].items():
        by_step = {point["step"]: point[metric] for point in curve}
        values = " / ".join(f"{by_step[step]:.3f}" if step in by_step else "–" for step in steps)
        best = max(point[metric] for point in curve)
        rows.append(f"| {result['variant_labels'][name]} | {values} | {best:.3f} |")
    return "\n".join(rows)


def render_losses(result: dict) -> str:
    """The WebNLG dev loss analysis: per kind of triple, the share lost at each step."""
    metrics = result["metrics"]
    kinds = ("relation", "attribute")
    # the causes, in the order bench/webnlg_losses.py writes them
    causes = [m[len("relation_"):] for m in metrics if m.startswith("relation_") and m != "relation_reference_triples"]
    rows = ["| cause | " + " | ".join(f"{k} triples ({metrics[f'{k}_reference_triples']:,})" for k in kinds) + " |",
            "|---|" + "---|" * len(kinds)]
    for cause in causes:
        cells = [f"{metrics[f'{k}_{cause}'] / metrics[f'{k}_reference_triples']:.3f}" for k in kinds]
        rows.append(f"| `{cause}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


RECIPE_STEPS = (100, 200, 300, 400, 600, 800, 1000, 1100)
# recipe-ablation variants trained in one session, one core each: compared by CPU time
BUDGET_VARIANTS = ("plain_1700", "batch250_lr5e-5_4000", "batch250_lr1e-4_4000", "batch250_lr5e-5_4000_context_max",
                   "batch250_lr5e-5_4000_ner_wider")
BUDGET_SECONDS = (300, 600, 900, 1200, 1500, 1800)


def render_recipe(recipe: dict) -> str:
    """CoNLL04 dev by step: the recipe-ablation variants of 1,100 steps, ``rel_micro_f``
    and ``ents_f``."""
    runs = [(recipe["variant_labels"][name], curve) for name, curve in recipe["dev_curves"].items()
            if curve[-1]["step"] == RECIPE_STEPS[-1]]
    rows = ["| CoNLL04 dev, step | " + " | ".join(f"{step:,}" for step in RECIPE_STEPS) + " |",
            "|---|" + "---|" * len(RECIPE_STEPS)]
    for metric in ("rel_micro_f", "ents_f"):
        for label, curve in runs:
            by_step = {point["step"]: point[metric] for point in curve}
            cells = [f"{by_step[step]:.3f}".lstrip("0") if step in by_step else "–" for step in RECIPE_STEPS]
            rows.append(f"| {label}, `{metric}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def render_budget(recipe: dict) -> str:
    """CoNLL04 dev by seconds of training on one core: per variant of ``BUDGET_VARIANTS``,
    the last evaluation within each mark, and the best (as spaCy picks model-best)."""
    rows = ["| CoNLL04 dev `rel_micro_f` / `ents_f`, after | " + " | ".join(f"{s:,} s" for s in BUDGET_SECONDS)
            + " | best (step) | train_seconds |",
            "|---|" + "---|" * (len(BUDGET_SECONDS) + 2)]
    for name in BUDGET_VARIANTS:
        curve = recipe["dev_curves"].get(name)
        if not curve:
            continue
        cells = []
        for mark in BUDGET_SECONDS:
            done = [p for p in curve if p["seconds"] <= mark]
            cells.append(f"{done[-1]['rel_micro_f']:.3f} / {done[-1]['ents_f']:.3f}" if done else "–")
        best = max(curve, key=lambda p: 0.7 * p["rel_micro_f"] + 0.3 * p["ents_f"])
        cells.append(f"{best['rel_micro_f']:.3f} / {best['ents_f']:.3f} ({best['step']:,})")
        cells.append(f"{recipe['metrics'][f'{name}_train_seconds']:,.0f}")
        rows.append(f"| {recipe['variant_labels'][name]} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


SYSTEMS = (("", "kgx default pipeline"), ("amazon_", "Amazon AI (Shanghai)"), ("bt5_", "bt5"),
           ("cyclegt_", "CycleGT"), ("baseline_", "the challenge's baseline"))


def render_systems(result: dict) -> str:
    """WebNLG+ 2020 test, exact F1: ours beside the challenge's systems, scored in one run."""
    m = result["metrics"]
    rows = ["| system | all texts | seen | unseen categories | unseen entities | triples predicted | texts without any |",
            "|---|---|---|---|---|---|---|"]
    for prefix, name in SYSTEMS:
        cells = [f"{m[f'{prefix}triples_f1_exact{suffix}']:.3f}" for suffix in ("", "_seen", "_unseen_categories", "_unseen_entities")]
        counts = [f"{m[f'{prefix}candidate_triples']:,}", f"{m[f'{prefix}texts_without_triples']:,}"]
        rows.append(f"| {name} | " + " | ".join(cells + counts) + " |")
    return "\n".join(rows)


def render_own(result: dict) -> str:
    """KnowledgeNet as your KG: the own workflow (distant labels only) beside the same
    config trained on the annotated folds, then distant supervision's variants."""
    m = result["metrics"]
    rows = ["| fold 4 (test) | link F1 (P / R) | text F1 | links to NIL | train_seconds | steps |",
            "|---|---|---|---|---|---|"]
    for prefix, name in (("", "own workflow: your graph + unlabelled texts"), ("supervised_", "trained on the annotated folds 1–2")):
        if f"{prefix}link_f1" in m:
            rows.append(
                f"| {name} | {m[f'{prefix}link_f1']:.3f} ({m[f'{prefix}link_p']:.3f} / {m[f'{prefix}link_r']:.3f}) "
                f"| {m[f'{prefix}text_f1']:.3f} | {m[f'{prefix}nil_share']:.2f} | {m[f'{prefix}train_seconds']:,.0f} "
                f"| {m[f'{prefix}train_steps']:,} |"
            )
    rows += ["", "| distant supervision (folds 1–3 texts) | facts of the annotations found | precision against the annotations |",
             "|---|---|---|"]
    for prefix, name in (("", "graph labels and aliases, whole text (default)"), ("labels_only_", "rdfs:label only, no aliases"),
                         ("sentence_window_", "`--window sentence`"), ("window_20_", "`--window 20`")):
        if f"{prefix}distant_fact_coverage" in m:
            rows.append(f"| {name} | {m[f'{prefix}distant_fact_coverage']:.3f} | {m[f'{prefix}distant_annotated_precision']:.3f} |")
    return "\n".join(rows)


KGE_GRAPHS = (("kge-wn18rr", "WN18RR", 40_943), ("kge-fb15k237", "FB15k-237", 14_541))  # and their entities


def render_kge(results: dict) -> str:
    """The KGE recipes on one core: test MRR, budget, seconds per epoch beside the matrix
    products' share and PyKEEN's, and the published figure."""
    rows = ["| graph | recipe | test MRR (H@10) | epochs, train_seconds | s/epoch (matrix products alone) "
            "| PyKEEN s/epoch, same recipe | published |", "|---|---|---|---|---|---|---|"]
    for name, graph, entities in KGE_GRAPHS:
        if name not in results:
            continue
        m = results[name]["metrics"]
        size = f"{m['full_train_triples']:,} triples, {entities:,} entities"
        recipe = f"rank {m['dim']}, batch {m['batch_size']}, lr {m['lr']:g}, N3 {m['n3_weight']:g}"
        rows.append(
            f"| {graph} ({size}) | {recipe} | **{m['mrr']:.3f}** ({m['hits_at_10']:.3f}) "
            f"| {m['train_epochs']}, {m['train_seconds']:,.0f} | {m['seconds_per_epoch']:.0f} ({m['flop_seconds_per_epoch']:.0f}) "
            f"| {m['pykeen_seconds_per_epoch']:.0f} | {ANCHORS[name]['mrr']} |"
        )
    return "\n".join(rows)


LINKER_SPLITS = (("open_world_dev_", "open-world dev"), ("dev_", "dev"), ("", "test"))


def render_linker(result: dict) -> str:
    """WebNLG linking: the KGE linker beside the text-only one on each split, at the
    settings each chose on the open-world dev split."""
    m = result["metrics"]
    rows = ["| split | linker | `el_accuracy` | in KB | NIL | `el_f` (end to end) |", "|---|---|---|---|---|---|"]
    for prefix, split in LINKER_SPLITS:
        for name, label in (("", "KGE"), ("text_only_", "text only")):
            key = prefix + name if prefix != "open_world_dev_" else f"open_world_dev_{name}"
            if f"{key}el_accuracy" not in m:
                continue
            rows.append(
                f"| {split} | {label} | {m[f'{key}el_accuracy']:.3f} | {m[f'{key}in_kb_accuracy']:.3f} "
                f"| {m[f'{key}nil_accuracy']:.3f} | {m[f'{key}el_f']:.3f} |"
            )
    return "\n".join(rows)


def between(text: str, begin: str, end: str, block: str) -> str:
    """``text`` with what lies between the markers replaced by ``block``."""
    start, stop = text.index(begin) + len(begin), text.index(end)
    return text[:start] + "\n" + block + "\n" + text[stop:]


def main() -> int:
    text = README.read_text()
    updated = between(text, BEGIN, END, render())
    for marker, name, metric, steps in ABLATIONS:
        path = RESULTS / f"{name}.json"
        if path.exists():
            block = render_curves(json.loads(path.read_text()), metric, steps)
            updated = between(updated, f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->", block)
    recipe = RESULTS / "recipe-ablation.json"
    if recipe.exists():
        block = render_recipe(json.loads(recipe.read_text()))
        updated = between(updated, "<!-- recipe-ablation-table:begin -->", "<!-- recipe-ablation-table:end -->", block)
        block = render_budget(json.loads(recipe.read_text()))
        updated = between(updated, "<!-- recipe-budget-table:begin -->", "<!-- recipe-budget-table:end -->", block)
    systems = RESULTS / "webnlg-text2rdf.json"
    if systems.exists() and "amazon_triples_f1_exact" in json.loads(systems.read_text())["metrics"]:
        block = render_systems(json.loads(systems.read_text()))
        updated = between(updated, "<!-- webnlg-systems-table:begin -->", "<!-- webnlg-systems-table:end -->", block)
    own = RESULTS / "own-kg-knowledgenet.json"
    if own.exists():
        block = render_own(json.loads(own.read_text()))
        updated = between(updated, "<!-- own-kg-table:begin -->", "<!-- own-kg-table:end -->", block)
    losses = RESULTS / "webnlg-losses.json"
    if losses.exists():
        block = render_losses(json.loads(losses.read_text()))
        updated = between(updated, "<!-- webnlg-losses-table:begin -->", "<!-- webnlg-losses-table:end -->", block)
    kge = {name: json.loads((RESULTS / f"{name}.json").read_text()) for name, *_ in KGE_GRAPHS
           if (RESULTS / f"{name}.json").exists()}
    if kge:
        updated = between(updated, "<!-- kge-recipe-table:begin -->", "<!-- kge-recipe-table:end -->", render_kge(kge))
    linker = RESULTS / "linker-webnlg.json"
    if linker.exists() and "open_world_dev_el_accuracy" in json.loads(linker.read_text())["metrics"]:
        block = render_linker(json.loads(linker.read_text()))
        updated = between(updated, "<!-- linker-table:begin -->", "<!-- linker-table:end -->", block)
    if "--check" in sys.argv:
        return int(updated != text)
    README.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
