"""KB from RDF: what becomes an entity, label, type and triple; formats; save/load; errors."""

import gzip

import numpy as np
import pytest

from kgx_spacy.errors import KgxInputError
from kgx_spacy.kb import KB, build_kb
from kgx_spacy.kb.build import local_name

EX = "http://example.org/"


@pytest.fixture(scope="module")
def kb(ttl_file):
    return build_kb([ttl_file])


def arrays(kb):
    """Every array of a KB, by name, to compare two KBs exactly."""
    out = {name: getattr(kb, name) for name in ("triples", "type_indptr", "type_ids", "label_indptr")}
    for name in ("entities", "relations", "types", "labels"):
        table = getattr(kb, name)
        out[f"{name}.blob"], out[f"{name}.offsets"] = table.blob, table.offsets
    out.update({f"aliases.{name}": getattr(kb.aliases, name) for name in kb.aliases.ARRAYS})
    out["aliases.names"] = kb.aliases.names.blob
    return out


def assert_same_kb(a, b):
    left, right = arrays(a), arrays(b)
    assert left.keys() == right.keys()
    for name in left:
        np.testing.assert_array_equal(left[name], right[name], err_msg=name)


def test_entities_are_iris_with_labels_types_or_links(kb):
    iris = list(kb.entities)
    assert iris == sorted(iris)
    assert EX + "Honolulu" in iris  # only the object of a link
    assert EX + "NotAnEntity" not in iris  # only a literal, not a label
    assert not any(iri.startswith("_:") for iri in iris)
    assert EX + "City" not in iris  # a type, not an entity (it has no label)
    assert len(kb) == 15


def test_labels_types_and_triples(kb):
    obama = kb.entity_id(EX + "Obama")
    assert kb.labels_of(obama) == ["Barack Obama"]
    assert kb.types_of(obama) == [EX + "Person", "http://xmlns.com/foaf/0.1/Person"]
    # Preferred labels first: prefLabel (1.0) before altLabels (0.5, then by text).
    assert kb.labels_of(kb.entity_id(EX + "USA")) == ["United States", "U.S.", "USA"]
    assert kb.label(kb.entity_id(EX + "Honolulu")) is None
    relations = list(kb.relations)
    assert relations == [EX + r for r in ("bornIn", "capitalOf", "locatedIn", "presidentOf")]
    triples = {(kb.iri(h), kb.relations[r], kb.iri(t)) for h, r, t in kb.triples.tolist()}
    assert (EX + "Obama", EX + "bornIn", EX + "Honolulu") in triples
    assert len(triples) == len(kb.triples) == 5  # the blank node's link is skipped
    assert kb.triples.dtype == np.int32 and kb.triples.shape == (5, 3)
    # 23 labels, 20 aliases: "UK"/"U.K." and "Zurich"/"Zürich" normalise alike, and
    # "Paris" names two entities.
    assert kb.counts == {
        "entities": 15, "labels": 23, "aliases": 20, "relations": 4,
        "triples": 5, "types": 6, "type_assertions": 11,
    }


def test_language_filter_keeps_untagged_and_subtags(ttl_file):
    kb = build_kb([ttl_file], languages=["en"])
    assert kb.labels_of(kb.entity_id(EX + "Zurich")) == ["Zurich"]
    assert kb.labels_of(kb.entity_id(EX + "Beijing")) == ["Beijing"]  # en-GB
    assert kb.labels_of(kb.entity_id(EX + "London")) == ["London"]
    assert kb.labels_of(kb.entity_id(EX + "UK")) == ["United Kingdom", "U.K.", "UK"]
    assert kb.entity_id(EX + "SaoPaulo") is not None  # typed, so still an entity
    assert kb.labels_of(kb.entity_id(EX + "SaoPaulo")) == ["Sampa"]


def test_label_predicates_are_configurable(ttl_file):
    kb = build_kb([ttl_file], label_predicates={"http://xmlns.com/foaf/0.1/name": 1.0})
    assert kb.counts["labels"] == 1
    assert [c.iri for c in kb.candidates("barack obama")] == [EX + "Obama"]
    assert kb.candidates("paris") == []


def test_local_name_labels(ttl_file, tmp_path):
    kb = build_kb([ttl_file], local_name_labels=True)
    honolulu = kb.entity_id(EX + "Honolulu")
    assert kb.labels_of(honolulu) == ["Honolulu"]
    assert kb.labels_of(kb.entity_id(EX + "Obama")) == ["Barack Obama"]  # has one already
    assert kb.candidates("Honolulu")[0].iri == EX + "Honolulu"
    assert local_name("http://dbpedia.org/resource/New_York_City") == "New York City"
    assert local_name("http://dbpedia.org/resource/S%C3%A3o_Paulo") == "São Paulo"


@pytest.mark.parametrize("fmt", ["nt", "nq", "xml", "jsonld"])
def test_every_format_gives_the_same_kb(kb, format_files, fmt):
    assert_same_kb(build_kb([format_files[fmt]]), kb)


def test_compressed_and_explicit_format(kb, ttl_file, tmp_path):
    path = tmp_path / "graph.data.gz"
    path.write_bytes(gzip.compress(ttl_file.read_bytes()))
    assert_same_kb(build_kb([path], fmt="ttl"), kb)


def test_two_files_read_as_one_graph(kb, ttl_file, tmp_path):
    lines = ttl_file.read_text(encoding="utf-8").splitlines(keepends=True)
    prefixes = [line for line in lines if line.startswith("@prefix")]
    body = [line for line in lines if not line.startswith("@prefix")]
    first, second = tmp_path / "a.ttl", tmp_path / "b.ttl"
    first.write_text("".join(prefixes + body[:9]), encoding="utf-8")
    second.write_text("".join(prefixes + body[9:]), encoding="utf-8")
    assert body[8].rstrip().endswith(" .")  # a split between statements
    assert_same_kb(build_kb([first, second]), kb)


def test_save_load_round_trip_is_memory_mapped(kb, tmp_path):
    kb.to_disk(tmp_path / "kb")
    loaded = KB.from_disk(tmp_path / "kb")
    assert_same_kb(loaded, kb)
    assert not loaded.triples.flags.writeable  # a read-only memory map
    assert loaded.meta["counts"] == kb.counts
    for mention in ("Paris", "Lodnon", "北京", "u.s."):
        assert loaded.candidates(mention) == kb.candidates(mention)
    kb.to_disk(tmp_path / "kb")  # overwriting in place is fine
    assert_same_kb(KB.from_disk(tmp_path / "kb", mmap=False), kb)


def test_bad_turtle_names_file_and_line(tmp_path):
    path = tmp_path / "bad.ttl"
    path.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "ok" .\nex:a ex:b "unclosed .\n')
    with pytest.raises(KgxInputError) as info:
        build_kb([path])
    assert info.value.path == str(path) and info.value.line == 3
    assert "Turtle" in str(info.value)


@pytest.mark.parametrize(
    "name, content, problem",
    [
        ("missing.ttl", None, "no such file"),
        ("graph.csv", "a,b", "unknown RDF format"),
        ("bad.rdf", "<rdf:RDF>", "not valid RDF/XML"),
        ("bad.jsonld", '{"@id": "http://a",\n "http://b": [\n}', "not valid JSON-LD"),
    ],
)
def test_bad_input_raises_kgx_input_error(tmp_path, name, content, problem):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(KgxInputError, match=problem) as info:
        build_kb([path])
    assert info.value.path == str(path)


def test_broken_kb_folder(kb, tmp_path):
    with pytest.raises(KgxInputError, match="not a KB folder"):
        KB.from_disk(tmp_path)
    kb.to_disk(tmp_path / "kb")
    (tmp_path / "kb" / "triples.npy").unlink()
    with pytest.raises(KgxInputError, match="missing KB file"):
        KB.from_disk(tmp_path / "kb")


def test_empty_graph(tmp_path):
    (tmp_path / "empty.nt").write_text("")
    kb = build_kb([tmp_path / "empty.nt"])
    assert set(kb.counts.values()) == {0} and kb.triples.shape == (0, 3)
    kb.to_disk(tmp_path / "kb")
    assert KB.from_disk(tmp_path / "kb").candidates("anything") == []
