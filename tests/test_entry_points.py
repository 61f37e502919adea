"""Every entry point resolves, and no published registry name disappears."""

import json
from importlib.metadata import distribution
from pathlib import Path

import pytest
import spacy
from spacy.util import registry

SNAPSHOT = Path(__file__).with_name("registry_contents.json")
GROUPS = {
    "spacy_factories": None,
    "spacy_architectures": registry.architectures,
    "spacy_scorers": registry.scorers,
    "spacy_readers": registry.readers,
    "spacy_misc": registry.misc,
    "spacy_loggers": registry.loggers,
}


def our_entry_points():
    eps = distribution("kgx-spacy").entry_points
    return [ep for ep in eps if ep.group in GROUPS]


@pytest.mark.parametrize("ep", our_entry_points(), ids=lambda ep: f"{ep.group}:{ep.name}")
def test_entry_point_resolves(ep):
    func = ep.load()
    assert callable(func)
    if ep.group == "spacy_factories":
        assert spacy.Language.has_factory(ep.name)
    else:
        assert GROUPS[ep.group].get(ep.name) is func


def test_published_names_stay():
    published = json.loads(SNAPSHOT.read_text())
    current = {}
    for ep in our_entry_points():
        current.setdefault(ep.group, []).append(ep.name)
    for group, names in published.items():
        missing = set(names) - set(current.get(group, []))
        assert not missing, f"{group}: published names removed: {sorted(missing)} (add a .vN+1 instead)"


def test_factories_load_without_code_import():
    # A fresh interpreter: spaCy finds our factories through entry points alone.
    import subprocess
    import sys

    script = (
        "import spacy; nlp = spacy.blank('en'); "
        "[nlp.add_pipe(n) for n in ('kgx_ner', 'kgx_rdf')]; print(nlp.pipe_names)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "kgx_ner" in out.stdout and "kgx_rdf" in out.stdout
