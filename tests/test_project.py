"""project.yml as weasel reads it: every path a command needs or makes stays one path,
whatever the user passes for the variables (relative or absolute)."""

from pathlib import Path

import pytest
from weasel.util import load_project_config

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("root", ["data", "/srv/kg"])
def test_each_dependency_and_output_is_one_path(root):
    overrides = {"vars.own_texts": f"{root}/texts.jsonl", "vars.own_kg": f"{root}/graph.ttl", "vars.kgx_data": f"{root}/shared"}
    project = load_project_config(REPO, overrides=overrides)
    for command in project["commands"]:
        for path in command.get("deps", []) + command.get("outputs", []):
            assert ", " not in path, f"{command['name']}: {path!r}"
    label = next(c for c in project["commands"] if c["name"] == "own-label")
    assert {f"{root}/texts.jsonl", f"{root}/graph.ttl"} <= set(label["deps"])
