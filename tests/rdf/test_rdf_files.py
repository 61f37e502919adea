"""File export: every format parses back to the rdflib reference; writes are atomic."""

import pytest
from rdf_helpers import assert_same_dataset, expected_dataset, make_doc, union_graph
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kgx_spacy.errors import KgxInputError
from kgx_spacy.rdf.mapping import RDFMapping
from kgx_spacy.rdf.serialize import FORMATS, file_format, write_file

RDFLIB_FORMAT = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld"}
TRIPLE_FORMATS = ("ttl", "nt")


def parse_back(path, fmt):
    """A Graph for triple formats, a Dataset for quad formats, read by rdflib."""
    target = Graph() if fmt in TRIPLE_FORMATS else Dataset()
    return target.parse(path, format=RDFLIB_FORMAT[fmt])


def assert_round_trip(path, fmt, docs, mapping=None):
    expected = expected_dataset(docs, mapping)
    actual = parse_back(path, fmt)
    if fmt in TRIPLE_FORMATS:
        assert isomorphic(actual, union_graph(expected))
    else:
        assert_same_dataset(actual, expected)


def sample_docs():
    tricky = 'say "hi" {x} > <y>\n\r\\ } ; DROP ALL ; INSERT DATA { שלום 😀 """'
    return [
        make_doc(
            ["Ada", "Lovelace", "worked", "with", "Charles", "Babbage", "."],
            [(0, 2, "Peop"), (4, 6, "Peop")],
            [((0, 2), (4, 6), "Work With")],
            doc_id="ada",
        ),
        make_doc(tricky.split(" "), [(0, 1, "Other label"), (2, 4, "Loc")], doc_id=tricky),
        # shares an entity with the first document: the union holds its triples once
        make_doc(["Ada", "Lovelace", "."], [(0, 2, "Peop")], doc_id=None),
    ]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_round_trips(tmp_path, fmt):
    docs = sample_docs()
    path = tmp_path / f"out.{fmt}"
    stats = write_file(docs, path, fmt, RDFMapping.gold())
    assert stats.documents == 3
    assert stats.quads == len(list(expected_dataset(docs, RDFMapping.gold()).quads()))
    assert_round_trip(path, fmt, docs, RDFMapping.gold())


def test_docs_are_read_once_as_a_stream(tmp_path):
    path = tmp_path / "out.nq"
    stats = write_file(iter(sample_docs()), path)
    assert stats.documents == 3
    assert_round_trip(path, "nq", sample_docs())


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_documents_stream_to_disk(tmp_path, fmt):
    sizes = []

    def stream():
        for i in range(300):
            if i == 250:  # by now earlier documents are on disk, in the temporary file
                (partial,) = tmp_path.glob(".out.*.tmp")
                sizes.append(partial.stat().st_size)
            yield make_doc(["Ada", "Lovelace", f"#{i}"], [(0, 2, "Peop")], doc_id=str(i))

    stats = write_file(stream(), tmp_path / f"out.{fmt}")
    assert stats.documents == 300
    assert 0 < sizes[0] < (tmp_path / f"out.{fmt}").stat().st_size


def test_each_doc_uses_its_own_mapping_by_default(tmp_path):
    doc = make_doc(["Ada"], [(0, 1, "Peop")], doc_id="ada")
    doc._.kgx_rdf_config = RDFMapping(base_iri="http://other.example/").to_dict()
    write_file([doc], tmp_path / "out.nq")
    assert "<http://other.example/document/ada>" in (tmp_path / "out.nq").read_text()


def test_a_failing_export_leaves_the_previous_file(tmp_path):
    path = tmp_path / "out.ttl"
    write_file(sample_docs(), path)
    before = path.read_bytes()
    bad = make_doc(["Ada"], [(0, 1, "Peop")], doc_id="bad")
    bad._.kgx_links = [{"start": 0, "end": 1, "iri": "not an iri", "score": 1.0}]
    with pytest.raises(KgxInputError, match="document/bad"):
        write_file(sample_docs() + [bad], path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]  # no temporary file left


def test_format_comes_from_the_extension(tmp_path):
    assert file_format(tmp_path / "x.TriG") == "trig"
    assert file_format(tmp_path / "x.txt", "nq") == "nq"
    with pytest.raises(KgxInputError, match="unknown RDF format"):
        file_format(tmp_path / "x.txt")
