"""Each converter on a tiny dataset: exactly the gold annotations of the Doc contract."""

import json

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab

import kgx_spacy  # noqa: F401  (installs the Doc extensions)
from kgx_spacy.corpora import DATASETS, convert, data_dir


def read(name, root):
    return DATASETS[name].read("test", root)


def test_data_dir_follows_kgx_data(monkeypatch, tmp_path):
    monkeypatch.setenv("KGX_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.delenv("KGX_DATA")
    assert data_dir().parts[-2:] == ("shared", "data")


def test_conll04(tiny_data):
    docs, report = read("conll04", tiny_data)
    doc = docs[0]
    assert doc.text == "John Smith works for Acme in Paris ."
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("John Smith", "Peop"), ("Acme", "Org"), ("Paris", "Loc")
    ]
    assert doc._.kgx_relations == [
        {"head": [0, 2], "tail": [4, 5], "label": "Work_For", "score": 1.0},
        {"head": [4, 5], "tail": [6, 7], "label": "OrgBased_In", "score": 1.0},
    ]
    assert [d._.kgx_doc_id for d in docs] == ["conll04/test/0", "conll04/test/1"]
    assert (report.docs, report.entities, report.relations) == (2, 3, 2)


def test_knowledgenet(tiny_data):
    docs, report = read("knowledgenet", tiny_data)
    assert [d._.kgx_doc_id for d in docs] == [
        "knowledgenet/test/7:100:175", "knowledgenet/test/8:0:9"
    ]
    doc, empty = docs
    ada = "http://www.wikidata.org/entity/Q7259"
    assert [(e.text, e.label_, e.kb_id_) for e in doc.ents] == [
        ("Ada Byron", "PER", ada), ("London", "LOC", ""), ("She", "PER", ""),
        ("William King", "PER", ""),
    ]
    assert doc._.kgx_links == [{"start": 0, "end": 2, "iri": ada, "score": 1.0, "nil": False}]
    assert doc._.kgx_relations == [
        {"head": [0, 2], "tail": [9, 10], "label": "PLACE_OF_BIRTH", "score": 1.0},
        {"head": [11, 12], "tail": [13, 15], "label": "SPOUSE", "score": 1.0},
    ]
    assert doc._.kgx_attributes == [{
        "entity": [0, 2], "value": [5, 8], "attribute": "DATE_OF_BIRTH", "score": 1.0,
        "lexical": "1815-12-10", "datatype": "http://www.w3.org/2001/XMLSchema#date",
    }]
    assert doc[5:8].text == "10 December 1815"
    assert not empty.ents and not empty._.kgx_relations
    # exhaustively annotated properties, facts or not (CEO has a row but no fact)
    assert doc._.kgx_annotated_labels == ["CEO", "DATE_OF_BIRTH", "PLACE_OF_BIRTH", "SPOUSE"]
    assert empty._.kgx_annotated_labels == ["SPOUSE"]
    assert (report.docs, report.relations, report.attributes, report.links) == (2, 2, 1, 1)


def test_knowledgenet_expands_spans_that_cut_tokens(tiny_data):
    path = tiny_data / "knowledgenet" / "knowledgenet_train_facts_from_html.jsonl"
    text = "Acme Corp. was founded by Bob."
    row = {
        "fold": 4, "documentId": "1", "passageId": "1:0:30", "passageStart": 0,
        "passageEnd": 30, "passageText": text, "property": "FOUNDED_BY",
        "fact": {"subjectStart": 0, "subjectEnd": 9, "subjectText": "Acme Corp",
                 "subjectUri": None, "objectStart": 26, "objectEnd": 29,
                 "objectText": "Bob", "objectUri": None},
    }
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    (doc,), report = read("knowledgenet", tiny_data)
    assert [(e.text, e.label_) for e in doc.ents] == [("Acme Corp.", "ORG"), ("Bob", "PER")]
    assert report.repaired == {"span.expanded": 1}


def test_deepke_ae(tiny_data):
    docs, report = read("deepke-ae", tiny_data)
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == [
        [("张冬梅", "PER")], [("岳正", "PER")], [("She", "WORK")]
    ]
    assert docs[0]._.kgx_attributes == [{
        "entity": [0, 3], "value": [6, 8], "attribute": "民族", "score": 1.0,
        "lexical": "汉族", "datatype": "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", "lang": "zh",
    }]
    value = docs[2]._.kgx_attributes[0]["value"]
    assert docs[2][value[0]:value[1]].text == "2015年4月18日"
    # The entity written as "SHE" at offset -1 is found once, ignoring case: kept, counted.
    assert report.repaired == {"entity.moved": 1}
    assert (report.docs, report.entities, report.attributes) == (3, 3, 3)


def test_deepke_ae_drops_and_counts_an_entity_it_cannot_find(tiny_data):
    path = tiny_data / "deepke_ae_zh" / "test.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("SHE,-1", "XYZ,-1"), encoding="utf-8")
    docs, report = read("deepke-ae", tiny_data)
    assert report.dropped == {"entity.offset_mismatch": 1}
    assert report.attributes == 2 and len(docs) == 3


def test_deepke_re(tiny_data):
    (doc,), report = read("deepke-re", tiny_data)
    assert [(e.text, e.label_) for e in doc.ents] == [("黄得功", "人物"), ("安徽合肥", "地点")]
    assert doc._.kgx_relations == [
        {"head": [0, 3], "tail": [4, 8], "label": "出生地", "score": 1.0},
        {"head": [0, 3], "tail": [4, 6], "label": "祖籍", "score": 1.0},
    ]
    # 安徽 lies inside 安徽合肥: not an entity (they cannot overlap), still a relation tail.
    assert report.dropped == {"ents.overlap": 1}


def test_webnlg(tiny_data):
    docs, report = read("webnlg", tiny_data)
    assert [d._.kgx_doc_id for d in docs] == ["webnlg/test/Id1/1", "webnlg/test/Id2/1"]
    assert docs[1]._.kgx_gold_triples == [
        ["Ciudad_Ayala", "leaderTitle", '"City Manager"'],
        ["Ciudad_Ayala", "populationMetro", "1777539"],
    ]
    assert not docs[0].ents
    assert (report.docs, report.gold_triples) == (2, 3)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_convert_writes_docbin_and_report(tiny_data, tmp_path, name):
    out = tmp_path / "out"
    (report,) = convert(name, out, ["test"], tiny_data)
    saved = json.loads((out / "test.report.json").read_text(encoding="utf-8"))
    assert saved == report.to_dict() and saved["docs"] == report.docs
    expected, _ = read(name, tiny_data)
    docs = list(DocBin().from_disk(out / "test.spacy").get_docs(Vocab()))
    assert [d.to_json() for d in docs] == [d.to_json() for d in expected]
    for got, want in zip(docs, expected):
        assert [(e.start, e.end, e.label_, e.kb_id_) for e in got.ents] == [
            (e.start, e.end, e.label_, e.kb_id_) for e in want.ents
        ]
        for attr in ("kgx_doc_id", "kgx_relations", "kgx_attributes", "kgx_links",
                     "kgx_gold_triples"):
            assert got._.get(attr) == want._.get(attr)
    assert sorted(p.name for p in out.iterdir()) == ["test.report.json", "test.spacy"]
