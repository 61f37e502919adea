"""The converters on the real datasets (``KGX_DATA``): published counts and contract invariants.

Skipped, with the reason, when the data folder is absent.
"""

import functools

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from kgx_spacy.corpora import DATASETS
from kgx_spacy.supervision.records import write_docbin

# (dataset, split) pairs read by the invariant and round-trip tests; webnlg/train (35k
# texts) is left to the command line to keep this suite fast.
SPLITS = [(name, split) for name in sorted(DATASETS) for split in DATASETS[name].SPLITS
          if not (name.startswith("webnlg") and split == "train")]


@functools.lru_cache(maxsize=None)
def _read(root, name, split):
    return DATASETS[name].read(split, root)


@pytest.fixture
def converted(data_dir):
    return functools.partial(_read, data_dir)


@pytest.mark.parametrize(
    "split,docs,entities,relations",
    [("train", 922, 3377, 1283), ("dev", 231, 893, 343), ("test", 288, 1079, 422)],
)
def test_conll04_counts(converted, split, docs, entities, relations):
    _, report = converted("conll04", split)
    assert (report.docs, report.entities, report.relations) == (docs, entities, relations)
    assert not report.dropped and not report.repaired


def test_webnlg_test_counts(converted):
    docs, report = converted("webnlg", "test")
    assert (report.docs, report.gold_triples) == (2155, 6945)
    assert all(len(triple) == 3 for doc in docs for triple in doc._.kgx_gold_triples)


def test_webnlg_dev_counts(converted):
    docs, report = converted("webnlg", "dev")
    assert report.docs == 4464
    assert len({tuple(map(tuple, d._.kgx_gold_triples)) for d in docs}) <= 1667


def test_knowledgenet_keeps_every_fact_and_passage(converted):
    reports = [converted("knowledgenet", split)[1] for split in ("train", "dev", "test")]
    # 5728 passages, 10895 facts: 1524 dated (attributes), 9371 between entities.
    assert sum(r.docs for r in reports) == 5728
    assert sum(r.attributes for r in reports) == 1524
    assert sum(r.relations + r.dropped.get("relations.duplicate", 0) for r in reports) == 9371
    assert not any(key.startswith("facts.") for r in reports for key in r.dropped)


def test_knowledgenet_splits_do_not_share_documents(converted):
    documents = [
        {d._.kgx_doc_id.split("/")[2].split(":")[0] for d in converted("knowledgenet", split)[0]}
        for split in ("train", "dev", "test")
    ]
    assert not (documents[0] & documents[1] or documents[0] & documents[2]
                or documents[1] & documents[2])


@pytest.mark.parametrize("split,rows,sentences", [
    ("train", 13815, 12635), ("dev", 3131, 2860), ("test", 5921, 5373)
])
def test_deepke_ae_accounts_for_every_row(converted, split, rows, sentences):
    _, report = converted("deepke-ae", split)
    assert report.docs == sentences
    lost = sum(n for key, n in report.dropped.items() if not key.startswith("ents."))
    assert report.attributes + lost == rows


@pytest.mark.parametrize("split,rows", [("train", 3000), ("dev", 1000), ("test", 1000)])
def test_deepke_re_accounts_for_every_row(converted, split, rows):
    _, report = converted("deepke-re", split)
    lost = sum(n for key, n in report.dropped.items() if not key.startswith("ents."))
    assert report.relations + lost == rows


@pytest.mark.parametrize("name,split", SPLITS)
def test_gold_offsets_lie_inside_their_doc(converted, name, split):
    docs, report = converted(name, split)
    assert len({d._.kgx_doc_id for d in docs}) == len(docs) == report.docs

    def inside(doc, offsets):
        start, end = offsets
        return 0 <= start < end <= len(doc)

    for doc in docs:
        for rel in doc._.kgx_relations:
            assert inside(doc, rel["head"]) and inside(doc, rel["tail"]), doc._.kgx_doc_id
        for attr in doc._.kgx_attributes:
            assert inside(doc, attr["entity"]) and inside(doc, attr["value"]), doc._.kgx_doc_id
        links = {(link["start"], link["end"]): link["iri"] for link in doc._.kgx_links}
        assert all(inside(doc, span) for span in links)
        for ent in doc.ents:
            assert ent.kb_id_ == links.get((ent.start, ent.end), "")


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_docbin_round_trip_keeps_gold(converted, tmp_path, name):
    docs, _ = converted(name, "test")
    write_docbin(docs, tmp_path / "test.spacy")
    loaded = list(DocBin().from_disk(tmp_path / "test.spacy").get_docs(Vocab()))
    assert len(loaded) == len(docs)
    for got, want in zip(loaded, docs):
        assert got.text == want.text and len(got) == len(want)
        assert [(e.start, e.end, e.label_, e.kb_id_) for e in got.ents] == [
            (e.start, e.end, e.label_, e.kb_id_) for e in want.ents
        ]
        for attr in ("kgx_doc_id", "kgx_relations", "kgx_attributes", "kgx_links",
                     "kgx_gold_triples"):
            assert got._.get(attr) == want._.get(attr)
