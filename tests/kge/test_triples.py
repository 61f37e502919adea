"""Reading TSV and RDF triples; label maps; bad input names the file and line."""

import pytest
import torch
from rdflib import Graph, Literal, Namespace

from kgx_spacy.errors import KgxInputError
from kgx_spacy.kge import TriplesFactory, read_triples, rdf_triples

EX = Namespace("http://example.org/")


def test_tsv_with_crlf_and_blank_lines(tmp_path):
    path = tmp_path / "train.txt"
    path.write_bytes(b"/m/a\t/r/x\t/m/b\r\n\r\n/m/b\t/r/x\t/m/c\r\n")
    triples = read_triples(path)
    assert triples.triples == [("/m/a", "/r/x", "/m/b"), ("/m/b", "/r/x", "/m/c")]
    assert triples.lines == [1, 3]


@pytest.mark.parametrize("bad", ["a\tr", "a\tr\tb\tc", "a\t\tb"])
def test_malformed_tsv_line_names_file_and_line(tmp_path, bad):
    path = tmp_path / "train.tsv"
    path.write_text(f"a\tr\tb\n{bad}\n")
    with pytest.raises(KgxInputError, match=r"train\.tsv, line 2: expected 3 non-empty tab-separated fields"):
        read_triples(path)


def test_rdf_file_gives_entity_to_entity_triples(tmp_path):
    graph = Graph()
    graph.add((EX.alice, EX.knows, EX.bob))
    graph.add((EX.alice, EX.name, Literal("Alice")))
    path = tmp_path / "kb.ttl"
    graph.serialize(path, format="turtle")
    assert read_triples(path).triples == [(str(EX.alice), str(EX.knows), str(EX.bob))]
    assert rdf_triples(graph) == read_triples(path).triples


def test_unparseable_rdf_and_unknown_extension(tmp_path):
    path = tmp_path / "kb.ttl"
    path.write_text("<http://example.org/a> <http://example.org/b> .\n")
    with pytest.raises(KgxInputError, match=r"kb\.ttl: not parseable as turtle"):
        read_triples(path)
    other = tmp_path / "kb.xyz"
    other.write_text("")
    with pytest.raises(KgxInputError, match="unknown triples format '.xyz'"):
        read_triples(other)


def test_factory_ids_are_sorted_labels_and_unknown_labels_name_the_line(tmp_path):
    factory = TriplesFactory.from_triples([("b", "r", "a"), ("c", "s", "b")])
    assert factory.entities == ["a", "b", "c"] and factory.relations == ["r", "s"]
    assert torch.equal(factory.map([("c", "s", "a")]), torch.tensor([[2, 1, 0]]))
    path = tmp_path / "test.tsv"
    path.write_text("a\tr\tb\n\nb\tr\tzed\n")
    with pytest.raises(KgxInputError, match=r"test\.tsv, line 3: unknown entity 'zed'"):
        factory.map(read_triples(path))
    with pytest.raises(KgxInputError, match=r"triples, triple 1: unknown relation 'q'"):
        factory.map([("a", "q", "b")])
