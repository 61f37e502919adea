"""The page and the JSON form of a Doc, without a browser: the records follow the Doc and
its RDF, the embedded JSON cannot break out of its script, nothing is loaded from outside,
and ``kgx show`` writes the page of what a pipeline finds."""

import json
import re
import sys

import spacy
from rdflib import RDF, Literal, URIRef
from serve_helpers import HAND_TEXT, MARKUP, TEXTS, facts_doc as make_facts_doc
from typer.testing import CliRunner

import kgx_spacy
from kgx_spacy.cli import app
from kgx_spacy.view import doc_record, page, render
from kgx_spacy.view.page import script_json

DATA = re.compile(r'<script type="application/json" id="kgx-data">(.*?)</script>', re.S)


def page_data(html: str) -> dict:
    """The JSON the page draws, read back from its script element."""
    (text,) = DATA.findall(html)
    return json.loads(text)


def union(doc):
    return {(s, p, o) for s, p, o, _ in doc._.rdf.quads()}


def test_record_follows_the_doc_and_its_rdf(facts_doc):
    record = doc_record(facts_doc)
    triples = union(facts_doc)
    assert record["text"] == facts_doc.text and record["id"] == "ada.txt"
    assert [(e["start"], e["end"], e["label"]) for e in record["ents"]] == [(e.start, e.end, e.label_) for e in facts_doc.ents]
    assert [e["score"] for e in record["ents"]] == [0.98, 0.91, 0.95, 0.62]
    assert [(e["linked"], e["nil"]) for e in record["ents"]] == [(True, False), (True, False), (False, False), (False, True)]
    for ent in record["ents"]:  # every IRI is the one the RDF gives the mention
        assert any(s == URIRef(ent["iri"]) and p == RDF.type for s, p, _ in triples), ent
    assert record["kgx_links"] == facts_doc._.kgx_links
    assert len(record["kgx_relations"]) == len(facts_doc._.kgx_relations) == 4
    for rel, original in zip(record["kgx_relations"], facts_doc._.kgx_relations):
        assert {k: rel[k] for k in original} == original
        assert (URIRef(rel["head_iri"]), URIRef(rel["property"]), URIRef(rel["tail_iri"])) in triples
    (attr,) = record["kgx_attributes"]
    assert (URIRef(attr["entity_iri"]), URIRef(attr["property"]), Literal("1815-12-10", datatype=URIRef(attr["datatype"]))) in triples
    assert [record["text"][record["tokens"][s][0]:record["tokens"][e - 1][1]] for s, e in record["sents"]] == [
        HAND_TEXT[:HAND_TEXT.index(" She")], HAND_TEXT[HAND_TEXT.index("She"):]
    ]
    assert not facts_doc.has_annotation("SENT_START")  # the sentencizer ran on a copy
    json.dumps(record)  # JSON-safe


def test_embedded_json_cannot_close_its_script():
    doc = make_facts_doc(MARKUP)
    html = render(doc)
    assert "</script><script>window.kgxInjected" not in html and "<b>Bold" not in html
    assert html.count("</script>") == 2  # the data's and the page script's own
    assert page_data(html)["documents"] == [json.loads(json.dumps(doc_record(doc)))]
    tricky = {"a": "</script><!-- \u2028 & <b>"}
    text = script_json(tricky)
    assert not re.search(r"[<>&\u2028]", text) and json.loads(text) == tricky
    assert "<title>a &lt;title&gt;</title>" in render(doc, title="a <title>")


def test_page_loads_nothing_from_outside(facts_doc):
    html = render([facts_doc, facts_doc], threshold=0.4)
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", html)
    assert "@import" not in html and "url(" not in html.replace("url(#", "")
    assert 'value="0.4"' in html and len(page_data(html)["documents"]) == 2
    assert "MIT, part of kgx-spacy" in html  # the script's licence is stated in it


def test_render_is_exported_lazily():
    assert kgx_spacy.render is render
    assert "<form id=\"kgx-form\"" in page([], form=True) and "<form" not in page([])


def test_show_writes_the_page_of_the_pipeline(trained_model, tmp_path):
    source = tmp_path / "two.jsonl"
    source.write_text("".join(json.dumps({"id": f"j{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS[1:])))
    out = tmp_path / "page.html"
    result = CliRunner().invoke(app, ["show", str(trained_model), TEXTS[0], str(source), "-o", str(out), "--threshold", "0.25"])
    assert result.exit_code == 0, result.output
    assert f"3 documents → {out}" in result.stdout
    records = page_data(out.read_text(encoding="utf-8"))["documents"]
    nlp = spacy.load(trained_model)
    docs = list(nlp.pipe(TEXTS))
    assert [r["id"] for r in records] == [None, "j0", "j1"]
    for record, doc in zip(records, docs):
        assert record["text"] == doc.text
        assert len(record["ents"]) == len(doc.ents) > 0
        assert len(record["kgx_relations"]) == len(doc._.kgx_relations) > 0
        assert len(record["kgx_attributes"]) == len(doc._.kgx_attributes) > 0


def test_show_reads_stdin_and_names_a_missing_model(trained_model, tmp_path):
    out = tmp_path / "page.html"
    result = CliRunner().invoke(app, ["show", str(trained_model), "-", "-o", str(out)], input=TEXTS[1])
    assert result.exit_code == 0, result.output
    assert page_data(out.read_text(encoding="utf-8"))["documents"][0]["text"] == TEXTS[1]
    result = CliRunner().invoke(app, ["show", str(tmp_path / "nope"), "text", "-o", str(out)])
    assert result.exit_code == 2 and "cannot load the pipeline" in result.output


def test_serve_refuses_a_missing_pipeline_before_it_listens(tmp_path):
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["serve", str(tmp_path / "nope"), "--store", str(store)])
    assert result.exit_code == 2 and "nope: cannot load the pipeline" in result.output
    assert not store.exists()


def test_serve_without_the_extra_says_how_to_install_it(trained_model, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn raises ImportError
    result = CliRunner().invoke(app, ["serve", str(trained_model)])
    assert result.exit_code == 2
    assert "pip install 'kgx-spacy[serve]'" in result.output
