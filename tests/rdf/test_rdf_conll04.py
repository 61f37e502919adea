"""CoNLL04 dev gold → ``kgx export --gold`` → a real Oxigraph server, checked with SPARQL."""

import pytest
from rdf_helpers import select, server_count
from spacy.tokens import DocBin
from typer.testing import CliRunner

from kgx_spacy.cli import app
from kgx_spacy.corpora import conll04
from kgx_spacy.rdf.mapping import RDFMapping
from kgx_spacy.rdf.oxigraph import doc_graph

PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX kgx: <https://w3id.org/kgx-spacy/vocab#>
"""


def count(endpoint, where: str) -> int:
    rows = select(endpoint, f"{PREFIXES} SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    return int(rows[0]["n"]["value"])


@pytest.mark.slow
def test_conll04_dev_gold_lands_complete(data_dir, tmp_path, endpoint, oxigraph_server):
    docs, report = conll04.read("dev", data_dir)
    DocBin(docs=docs, store_user_data=True).to_disk(tmp_path / "dev.spacy")
    quads = sum(len(doc_graph(doc, RDFMapping.gold())[1]) for doc in docs)

    result = CliRunner().invoke(app, [
        "export", str(tmp_path / "dev.spacy"), "--gold", "--batch-size", "50",
        "--endpoint", endpoint.url, "--update-url", f"{oxigraph_server}/update",
        "--progress", str(tmp_path / "progress.jsonl"),
    ])
    assert result.exit_code == 0, result.output
    assert f"wrote 231 documents, {quads} quads" in result.output
    assert server_count(endpoint) == quads
    assert count(endpoint, "GRAPH ?g { ?g a kgx:Document }") == report.docs == 231
    property_ns = RDFMapping().base_iri + "property/"
    relations = f"""GRAPH ?g {{ ?st rdf:predicate ?p ; kgx:component "gold" }}
        FILTER STRSTARTS(STR(?p), "{property_ns}")"""
    assert count(endpoint, relations) == report.relations == 343
    typed = 'GRAPH ?g { ?st rdf:predicate rdf:type ; kgx:component "gold" }'
    assert count(endpoint, typed) == report.entities == 893
    not_gold = 'GRAPH ?g { ?st kgx:component ?c FILTER (?c != "gold") }'
    assert count(endpoint, not_gold) == 0
