"""KB build time, peak memory and lookup speed on synthetic RDF at 10k, 100k and 1M entities.

Each size is built in its own process from an N-Triples file with, per entity: an
rdfs:label, a skos:altLabel for every third entity, one rdf:type and 3 entity–entity
triples. Names are two words of 2–4 syllables from 25 two-letter syllables, so many are
shared (ambiguous aliases) and the whole KB has under a thousand distinct trigrams: far
harder for a trigram index than real names.

build_seconds: RDF file → KB folder on disk. peak_mb: the process's peak RSS
(``ru_maxrss``); build_mb: the part above what importing kgx_spacy (spaCy, torch) takes.
Lookups (100k and 1M) run on the saved, memory-mapped KB with k=10: exact (a label in
upper case, ``fuzzy=False``) and fuzzy (a label with two adjacent characters swapped);
fuzzy_recall_at_10: how often the right entity is among the 10 candidates.

    python bench/kb_scale.py [--sizes 10000 100000 1000000]
"""

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "work" / "kb-scale"
RESULT = REPO / "bench" / "results" / "kb-scale.json"
SYLLABLES = "ka lo mi ra te su no vi da re an el or is ba ko lu ma ne pa ri sa to ve zu".split()
NAMES = {10_000: "10k", 100_000: "100k", 1_000_000: "1m"}
N_LOOKUPS = 2000


def name(rng: random.Random) -> str:
    word = lambda: "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
    return f"{word()} {word()}"


def write_graph(n: int, path: Path) -> None:
    """The synthetic graph of ``n`` entities as N-Triples (written once, reused)."""
    if path.exists():
        return
    rng = random.Random(n)
    path.parent.mkdir(parents=True, exist_ok=True)
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    alt = "<http://www.w3.org/2004/02/skos/core#altLabel>"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for i in range(n):
            e = f"<http://example.org/entity/E{i}>"
            f.write(f'{e} {label} "{name(rng)}"@en .\n')
            if i % 3 == 0:
                f.write(f'{e} {alt} "{name(rng)}" .\n')
            f.write(f"{e} {rdf_type} <http://example.org/class/C{rng.randrange(20)}> .\n")
            for _ in range(3):
                relation, tail = rng.randrange(10), rng.randrange(n)
                f.write(f"{e} <http://example.org/rel/R{relation}> <http://example.org/entity/E{tail}> .\n")
    tmp.rename(path)


def swap_typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def child(n: int, lookups: bool) -> None:
    """Build one size's KB in this process and print its measurements as JSON."""
    from kgx_spacy.kb import KB, build_kb

    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    source, out = WORK / f"synthetic-{n}.nt", WORK / f"kb-{n}"
    start = time.perf_counter()
    kb = build_kb([source])
    kb.to_disk(out)
    seconds = time.perf_counter() - start
    result = {
        "build_seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "import_mb": baseline_mb,
        "counts": kb.counts,
    }
    if lookups:
        del kb
        kb = KB.from_disk(out)
        rng = random.Random(0)
        entities = [rng.randrange(len(kb)) for _ in range(N_LOOKUPS)]
        labels = [kb.label(e) for e in entities]
        exact = [label.upper() for label in labels]
        typos = [swap_typo(label, rng) for label in labels]
        start = time.perf_counter()
        for mention in exact:
            kb.candidates(mention, 10, fuzzy=False)
        result["lookups_per_second"] = N_LOOKUPS / (time.perf_counter() - start)
        start = time.perf_counter()
        found = [kb.candidates(mention, 10) for mention in typos]
        result["fuzzy_lookups_per_second"] = N_LOOKUPS / (time.perf_counter() - start)
        result["fuzzy_recall_at_10"] = sum(
            any(c.entity == e for c in cands) for e, cands in zip(entities, found)
        ) / N_LOOKUPS
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=list(NAMES))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--lookups", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.lookups)
    start, metrics = time.perf_counter(), {}
    for n in args.sizes:
        write_graph(n, WORK / f"synthetic-{n}.nt")
        cmd = [sys.executable, __file__, "--child", str(n)] + (["--lookups"] if n >= 100_000 else [])
        out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        print(n, out, flush=True)
        tag = NAMES.get(n, str(n))
        metrics[f"build_seconds_{tag}"] = round(out["build_seconds"], 2)
        metrics[f"peak_mb_{tag}"] = round(out["peak_mb"], 1)
        metrics[f"build_mb_{tag}"] = round(out["peak_mb"] - out["import_mb"], 1)
        metrics.update({f"{name}_{tag}": out["counts"][name] for name in ("entities", "aliases", "triples")})
        for key in ("lookups_per_second", "fuzzy_lookups_per_second", "fuzzy_recall_at_10"):
            if key in out:
                metrics[f"{key}_{tag}"] = round(out[key], 4 if key.endswith("10") else 1)
    git = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO)
    result = {
        "benchmark": "kb-scale",
        "dataset": "synthetic",
        "split": "n/a",
        "commit": git.stdout.strip(),
        "machine": f"{os.cpu_count()}-core CPU ({platform.machine()}, Python {platform.python_version()}), "
        "shared with a concurrent benchmark",
        "encoder": None,
        "seconds": round(time.perf_counter() - start, 1),
        "metrics": {**metrics, "import_mb": round(out["import_mb"], 1)},
        "command": " ".join(["python", "bench/kb_scale.py", *sys.argv[1:]]),
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
