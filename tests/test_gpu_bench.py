"""The CPU path of bench/gpu.sh (``run --gpu-id -1``): train a few steps, evaluate, time
extraction at every batch size, one JSON; so that the GPU script cannot rot while no GPU
is lent."""

import json
import os
import subprocess
import sys
from pathlib import Path

import spacy
from spacy.tokens import DocBin
from test_configs import CONFIGS, kb_and_kge, tiny_examples  # noqa: F401 (kb_and_kge: a fixture)

REPO = Path(__file__).resolve().parents[1]


def test_gpu_script_runs_on_cpu(tiny_bert, kb_and_kge, tmp_path):  # noqa: F811
    data = tmp_path / "data"
    data.mkdir()
    config = spacy.util.load_config(CONFIGS[0].with_name("default_en.cfg"))
    config["paths"].update({"encoder": tiny_bert, **kb_and_kge})
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    references = [eg.reference for eg in tiny_examples(nlp)]
    for split in ("train", "dev"):
        DocBin(docs=references * 4, store_user_data=True).to_disk(data / f"{split}.spacy")
    for name in ("kb", "kge"):
        (data / name).symlink_to(kb_and_kge[name])
    output = tmp_path / "gpu.json"
    command = [
        "bash", "bench/gpu.sh", "run", "--data", str(data), "--encoder", tiny_bert, "--gpu-id", "-1",
        "--steps", "4", "--eval-every", "2", "--repeats", "1", "--work", str(tmp_path / "work"),
        "--output", str(output),
    ]
    env = {**os.environ, "PYTHON": sys.executable, "KGX_SITE": str(tmp_path / "no-site")}
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(output.read_text())["metrics"]
    for size in (64, 128, 256, 512, 1024):
        assert metrics[f"words_per_second_batch_{size}"] > 0
    assert metrics["encoder_words_per_second"] > 0 and metrics["train_steps"] == 4
    assert 0.0 <= metrics["ents_f"] <= 1.0 and "rel_micro_f" in metrics
