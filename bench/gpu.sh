#!/usr/bin/env bash
# The default pipeline on one bare GPU machine: train, evaluate, time extraction (bench/gpu.py).
#
# A bare machine of the device tool has Python 3.12 with a CUDA torch and CuPy, but no spaCy
# and a transformers too new for spacy-transformers; nothing can be fetched there, and one
# call carries at most 64 MiB. So the wheels and the encoder travel in three parts:
#
#   bash bench/gpu.sh prepare            # here: .gpu/wheels-1, .gpu/wheels-2 (cp312 wheels of
#                                        #   the pinned stack + this package), .gpu/run (the
#                                        #   encoder in fp16, the WebNLG corpus, KB and KGE)
#   bash bench/gpu.sh install 1          # there, carrying .gpu/wheels-1 (then 2, carrying .gpu/wheels-2),
#                                        #   into /tmp/kgx-site: calls back to back, on one warm machine
#   bash bench/gpu.sh run --steps 600    # there, carrying .gpu/run: bench/gpu.py --gpu-id 0, JSON to
#                                        #   $OUT/gpu.json (copy it to bench/results/gpu.json here)
#
# `run` also works on an installed checkout (no /tmp/kgx-site; PYTHON, default .venv/bin/python):
# `bash bench/gpu.sh run --gpu-id -1 --steps 4 ...` is the CPU path tests/test_gpu_bench.py runs.
set -euo pipefail
cd "$(dirname "$0")/.."
SITE=${KGX_SITE:-/tmp/kgx-site}
# What a bare device machine lacks, pinned to this checkout's .venv (its numpy, torch,
# typer, rich, regex, … are used as they are there).
PACKAGES_1="spacy blis"
PACKAGES_2="thinc cymem preshed murmurhash srsly wasabi catalogue confection weasel cloudpathlib
smart-open spacy-legacy spacy-loggers pydantic pydantic-core
typing-inspection annotated-types spacy-transformers spacy-alignments transformers tokenizers
huggingface-hub rdflib pyoxigraph dateparser tzlocal pytz"

stage=${1:-}
shift || true
case "$stage" in
  prepare)
    py=${PYTHON:-.venv/bin/python}
    rm -rf .gpu && mkdir -p .gpu/wheels-1 .gpu/wheels-2 .gpu/run/data
    pins() { for name in "$@"; do "$py" -m pip freeze | grep -i -E "^${name//-/[-_]}==" || { echo "missing in .venv: $name" >&2; exit 1; }; done; }
    download() {
      local dest=$1 wanted; shift
      wanted=$(pins "$@")
      "$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d "$dest" $wanted
    }
    download .gpu/wheels-1 $PACKAGES_1
    download .gpu/wheels-2 $PACKAGES_2
    "$py" -m pip wheel -q --no-deps -w .gpu/wheels-2 .
    for part in corpus/webnlg-distant/train.spacy corpus/webnlg-distant/dev.spacy training/kb training/kge; do
      [ -e "$part" ] || { echo "missing $part: run spacy project run convert/kb/kge first" >&2; exit 1; }
    done
    cp corpus/webnlg-distant/train.spacy corpus/webnlg-distant/dev.spacy .gpu/run/data/
    cp -r training/kb training/kge .gpu/run/data/
    HF_HUB_OFFLINE=1 "$py" - <<'EOF'
from transformers import AutoModel, AutoTokenizer
from kgx_spacy.encoders import resolve_encoder
path = resolve_encoder("sentence-transformers/all-MiniLM-L6-v2")
AutoModel.from_pretrained(str(path)).half().save_pretrained(".gpu/run/encoder")  # 44 MB; loads back as fp32
AutoTokenizer.from_pretrained(str(path)).save_pretrained(".gpu/run/encoder")
EOF
    du -sh .gpu/*
    ;;
  install)
    part=${1:?install 1 or install 2}
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .gpu/wheels-"$part"/*.whl
    echo "installed part $part into $SITE"
    ;;
  run)
    if [ -d "$SITE" ]; then
      export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}" PATH="$SITE/bin:$PATH"
      py=python3
      defaults=(--data .gpu/run/data --encoder .gpu/run/encoder --gpu-id 0 --output "${OUT:-bench/results}/gpu.json")
    else
      py=${PYTHON:-.venv/bin/python}
      defaults=()
    fi
    export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
    "$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
    exec "$py" bench/gpu.py "${defaults[@]}" "$@"
    ;;
  *)
    echo "usage: bash bench/gpu.sh prepare | install 1|2 | run [bench/gpu.py options]" >&2
    exit 2
    ;;
esac
