#!/usr/bin/env bash
# The main job: set up .venv, turn texts into RDF, load it into the embedded Oxigraph store,
# and answer a SPARQL query. Re-running replaces each document's graph (no duplicates).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1
KGX=.venv/bin/kgx
OUT=${KGX_OUTPUT:-output}
# Until the trained pipeline lands (issue 6): the gold entities and relations of CoNLL04 dev.
[ -f "$OUT/corpus/dev.spacy" ] || "$KGX" convert conll04 "$OUT/corpus" --split dev
"$KGX" export "$OUT/corpus/dev.spacy" --gold --store "$OUT/kgx-store"
"$KGX" export "$OUT/corpus/dev.spacy" --gold --format ttl --output "$OUT/conll04-dev.ttl"
"$KGX" query --store "$OUT/kgx-store" '
  SELECT ?property (COUNT(*) AS ?triples) WHERE {
    ?statement a rdf:Statement ; rdf:predicate ?property ; kgx:component ?component .
  } GROUP BY ?property ORDER BY DESC(?triples)'
echo "RDF store: $OUT/kgx-store    Turtle: $OUT/conll04-dev.ttl"
