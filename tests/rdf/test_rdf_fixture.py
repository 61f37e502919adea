"""The same Docs give the same RDF as they did when the fixtures were made (see fixtures/README.md).

Real pipeline output (a CoNLL04 joint model over samples/*.txt) through every route to
RDF, and the KnowledgeNet dev gold (links, relations, typed literals) as a hash.
"""

import hashlib
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdf_helpers import NLP, assert_same_dataset, store_dataset
from rdflib import BNode, Dataset
from spacy.tokens import DocBin
from typer.testing import CliRunner

from kgx_spacy.cli import app
from kgx_spacy.rdf.component import install_extensions
from kgx_spacy.rdf.mapping import RDFMapping, doc_to_dataset

FIXTURES = Path(__file__).with_name("fixtures")
PREDICTED = FIXTURES / "samples-conll04-joint.spacy"


def expected() -> Dataset:
    dataset = Dataset()
    dataset.parse(FIXTURES / "samples-conll04-joint.nq", format="nquads")
    return dataset


def test_doc_rdf_is_unchanged():
    install_extensions()
    docs = list(DocBin().from_disk(PREDICTED).get_docs(NLP.vocab))
    assert len(docs) == 8 and sum(len(doc._.kgx_relations) for doc in docs) > 0
    actual = Dataset()
    for doc in docs:
        for quad in doc._.rdf.quads():
            actual.add(quad)
    assert_same_dataset(actual, expected())


def test_exported_file_is_unchanged(tmp_path):
    out = tmp_path / "out.nq"
    result = CliRunner().invoke(app, ["export", str(PREDICTED), "-o", str(out)])
    assert result.exit_code == 0, result.output
    actual = Dataset()
    actual.parse(out, format="nquads")
    assert_same_dataset(actual, expected())


def test_embedded_store_is_unchanged(tmp_path):
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["export", str(PREDICTED), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert_same_dataset(store_dataset(ox.Store(str(store))), expected())


@pytest.mark.slow
def test_knowledgenet_dev_gold_rdf_is_unchanged(data_dir):
    from kgx_spacy.corpora import knowledgenet

    recorded = json.loads((FIXTURES / "knowledgenet-dev-gold.json").read_text())
    docs, _ = knowledgenet.read("dev", data_dir)
    lines = set()
    for doc in docs:
        for s, p, o, g in doc_to_dataset(doc, RDFMapping.gold()).quads():
            g = getattr(g, "identifier", g)
            assert not any(isinstance(t, BNode) for t in (s, p, o, g))  # so sorted lines are canonical
            lines.add(" ".join(t.n3() for t in (s, p, o, g)))
    digest = hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()
    assert (len(docs), len(lines), digest) == (recorded["docs"], recorded["quads"], recorded["sha256"])
