"""A tiny, valid copy of each dataset's layout, for tests that break one file at a time."""

import json
from pathlib import Path

import pytest

CONLL04 = [
    {
        "tokens": ["John", "Smith", "works", "for", "Acme", "in", "Paris", "."],
        "entities": [
            {"type": "Peop", "start": 0, "end": 2},
            {"type": "Org", "start": 4, "end": 5},
            {"type": "Loc", "start": 6, "end": 7},
        ],
        "relations": [
            {"type": "Work_For", "head": 0, "tail": 1},
            {"type": "OrgBased_In", "head": 1, "tail": 2},
        ],
        "orig_id": 1,
    },
    {"tokens": ["Nothing", "here", "."], "entities": [], "relations": [], "orig_id": 2},
]

_PASSAGE = "Ada Byron was born on 10 December 1815 in London. She married William King."
_START = 100


def _fact(subject: str, obj: str, subject_uri=None, object_uri=None) -> dict:
    s, o = _PASSAGE.index(subject), _PASSAGE.index(obj)
    return {
        "subjectStart": _START + s, "subjectEnd": _START + s + len(subject),
        "subjectText": subject, "subjectUri": subject_uri,
        "objectStart": _START + o, "objectEnd": _START + o + len(obj),
        "objectText": obj, "objectUri": object_uri,
    }


def knowledgenet_rows() -> list:
    base = {
        "fold": 4, "documentId": "7", "passageId": f"7:{_START}:{_START + len(_PASSAGE)}",
        "passageStart": _START, "passageEnd": _START + len(_PASSAGE), "passageText": _PASSAGE,
    }
    ada = "http://www.wikidata.org/entity/Q7259"
    return [
        {**base, "property": "DATE_OF_BIRTH", "fact": _fact("Ada Byron", "10 December 1815", ada)},
        {**base, "property": "PLACE_OF_BIRTH", "fact": _fact("Ada Byron", "London", ada)},
        {**base, "property": "SPOUSE", "fact": _fact("She", "William King")},
        {**base, "property": "CEO", "fact": None},
        {
            "fold": 4, "documentId": "8", "passageId": "8:0:9", "passageStart": 0,
            "passageEnd": 9, "passageText": "No facts.", "property": "SPOUSE", "fact": None,
        },
        {
            "fold": 1, "documentId": "9", "passageId": "9:0:9", "passageStart": 0,
            "passageEnd": 9, "passageText": "Training.", "property": "SPOUSE", "fact": None,
        },
    ]


DEEPKE_AE = (
    "sentence,attribute,entity,entity_offset,attribute_value,attribute_value_offset\n"
    "张冬梅，女，汉族，1968年2月生,民族,张冬梅,0,汉族,6\n"
    "岳正，字季方，漷县人,字,岳正,0,季方,4\n"
    "《She》是电视剧，2015年4月18日播出,上映时间,SHE,-1,2015年4月18日,10\n"
)
DEEPKE_RE = (
    "sentence,relation,head,head_offset,tail,tail_offset\n"
    "黄得功，安徽合肥人,出生地,黄得功,0,安徽合肥,4\n"
    "黄得功，安徽合肥人,祖籍,黄得功,0,安徽,4\n"
)
DEEPKE_SCHEMA = "head_type,tail_type,relation,index\n地点,人物,出生地,4\n地点,人物,祖籍,1\n"
WEBNLG = """<?xml version='1.0' encoding='utf-8'?>
<benchmark>
  <entries>
    <entry category="Company" eid="Id1" shape="(X (X))" shape_type="NA" size="1">
      <modifiedtripleset>
        <mtriple>Trane | location | Swords,_Dublin</mtriple>
      </modifiedtripleset>
      <lex lang="en" lid="1">The location of Trane is Swords, Dublin.</lex>
    </entry>
    <entry category="City" eid="Id2" shape="(X (X))" shape_type="NA" size="2">
      <modifiedtripleset>
        <mtriple>Ciudad_Ayala | leaderTitle | "City Manager"</mtriple>
        <mtriple>Ciudad_Ayala | populationMetro | 1777539</mtriple>
      </modifiedtripleset>
      <lex lang="en" lid="1">Ciudad Ayala, led by a City Manager, has 1777539 people.</lex>
    </entry>
  </entries>
</benchmark>
"""


@pytest.fixture
def tiny_data(tmp_path) -> Path:
    """A data folder with a small valid ``test`` split of every dataset."""
    root = tmp_path / "data"
    (root / "conll04").mkdir(parents=True)
    (root / "conll04" / "conll04_test.json").write_text(json.dumps(CONLL04), encoding="utf-8")
    (root / "knowledgenet").mkdir()
    (root / "knowledgenet" / "knowledgenet_train_facts_from_html.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in knowledgenet_rows()), encoding="utf-8"
    )
    (root / "deepke_ae_zh").mkdir()
    (root / "deepke_ae_zh" / "test.csv").write_text(DEEPKE_AE, encoding="utf-8")
    (root / "deepke_re_zh").mkdir()
    (root / "deepke_re_zh" / "test.csv").write_text(DEEPKE_RE, encoding="utf-8")
    (root / "deepke_re_zh" / "relation.csv").write_text(DEEPKE_SCHEMA, encoding="utf-8")
    webnlg = root / "webnlg_2020_v3.0_en" / "test"
    webnlg.mkdir(parents=True)
    (webnlg / "semantic-parsing-test-data-with-refs-en.xml").write_text(WEBNLG, encoding="utf-8")
    return root
