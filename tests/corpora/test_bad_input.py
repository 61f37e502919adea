"""Broken input: a KgxInputError naming the file, the line (or record) and the problem,
and outputs that were there before are left exactly as they were."""

import json

import pytest

from kgx_spacy.corpora import convert
from kgx_spacy.errors import KgxInputError

KN = "knowledgenet/knowledgenet_train_facts_from_html.jsonl"


def _replace_line(path, number, text):
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[number - 1] = text
    path.write_text("\n".join(lines), encoding="utf-8")


def _kn_row(tiny_data, number):
    path = tiny_data / KN
    return json.loads(path.read_text(encoding="utf-8").split("\n")[number - 1])


def conll04_truncated(root):
    path = root / "conll04" / "conll04_test.json"
    path.write_text(json.dumps([{"tokens": ["a"]}], indent=1)[:-5], encoding="utf-8")


def conll04_relation_index(root):
    path = root / "conll04" / "conll04_test.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data[1]["relations"] = [{"type": "Kill", "head": 0, "tail": 3}]
    path.write_text(json.dumps(data), encoding="utf-8")


def conll04_entity_offsets(root):
    path = root / "conll04" / "conll04_test.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data[1]["entities"] = [{"type": "Loc", "start": 2, "end": 9}]
    path.write_text(json.dumps(data), encoding="utf-8")


def knowledgenet_malformed_line(root):
    _replace_line(root / KN, 2, '{"fold": 4, "documentId": ')


def knowledgenet_offset_out_of_range(root):
    row = _kn_row(root, 3)
    row["fact"]["objectEnd"] = 10_000
    _replace_line(root / KN, 3, json.dumps(row))


def knowledgenet_latin1(root):
    path = root / KN
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"London", "Londón".encode("latin-1"))
    path.write_bytes(b"\n".join(lines))


def deepke_ae_short_row(root):
    path = root / "deepke_ae_zh" / "test.csv"
    _replace_line(path, 3, "岳正，字季方，漷县人,字,岳正,0")


def deepke_ae_missing_column(root):
    path = root / "deepke_ae_zh" / "test.csv"
    _replace_line(path, 1, "sentence,attribute,entity,entity_offset,attribute_value")


def deepke_ae_offset_out_of_range(root):
    path = root / "deepke_ae_zh" / "test.csv"
    _replace_line(path, 2, "张冬梅，女，汉族，1968年2月生,民族,张冬梅,0,汉族,60")


def deepke_re_unknown_relation(root):
    path = root / "deepke_re_zh" / "test.csv"
    _replace_line(path, 3, "黄得功，安徽合肥人,父亲,黄得功,0,安徽,4")


def webnlg_bad_xml(root):
    path = root / "webnlg_2020_v3.0_en" / "test" / "semantic-parsing-test-data-with-refs-en.xml"
    text = path.read_text(encoding="utf-8").replace("</lex>", "</le>", 1)
    path.write_text(text, encoding="utf-8")


def webnlg_bad_triple(root):
    path = root / "webnlg_2020_v3.0_en" / "test" / "semantic-parsing-test-data-with-refs-en.xml"
    text = path.read_text(encoding="utf-8").replace("Trane | location | Swords", "Trane | Swords")
    path.write_text(text, encoding="utf-8")


CASES = [
    ("conll04", conll04_truncated, "conll04_test.json, line 5", "malformed JSON"),
    ("conll04", conll04_relation_index, "conll04_test.json, record 1", "not an index"),
    ("conll04", conll04_entity_offsets, "conll04_test.json, record 1", "out of range"),
    ("knowledgenet", knowledgenet_malformed_line, ".jsonl, line 2", "malformed JSON"),
    ("knowledgenet", knowledgenet_offset_out_of_range, ".jsonl, line 3", "out of range"),
    ("knowledgenet", knowledgenet_latin1, ".jsonl, line 2", "not valid UTF-8"),
    ("deepke-ae", deepke_ae_short_row, "test.csv, line 3", "expected 6 fields, found 4"),
    ("deepke-ae", deepke_ae_missing_column, "test.csv, line 1", "attribute_value_offset"),
    ("deepke-ae", deepke_ae_offset_out_of_range, "test.csv, line 2", "out of range"),
    ("deepke-re", deepke_re_unknown_relation, "test.csv, line 3", "'父亲' not in relation.csv"),
    ("webnlg", webnlg_bad_xml, "-en.xml, line 8, column 72", "malformed XML: mismatched tag"),
    ("webnlg", webnlg_bad_triple, "-en.xml, entry Id1", "not 'subject | predicate | object'"),
]


@pytest.mark.parametrize("dataset,break_it,location,problem", CASES,
                         ids=[case[1].__name__ for case in CASES])
def test_bad_input_names_file_and_line_and_keeps_old_output(
    tiny_data, tmp_path, dataset, break_it, location, problem
):
    out = tmp_path / "out"
    convert(dataset, out, ["test"], tiny_data)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    break_it(tiny_data)
    with pytest.raises(KgxInputError) as info:
        convert(dataset, out, ["test"], tiny_data)
    assert location in str(info.value) and problem in str(info.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_missing_file_and_unknown_split(tmp_path):
    with pytest.raises(KgxInputError, match="conll04_test.json: file not found"):
        convert("conll04", tmp_path / "out", ["test"], tmp_path)
    with pytest.raises(KgxInputError, match="no split 'validation'"):
        convert("conll04", tmp_path / "out", ["validation"], tmp_path)
    assert not (tmp_path / "out").exists()
