"""The page in a real browser (headless Debian chromium): the page of a hand-made Doc, the
page ``kgx show`` wrote and the page ``kgx serve`` answers each draw every entity, relation
and attribute of the Doc, hovering an edge shows its confidence, and the slider hides the
facts below it. The first test writes the README's screenshot when ``KGX_SCREENSHOT``
names a file (``KGX_SCREENSHOT=docs/kgx-show.png``)."""

import json
import os
import shutil
import urllib.parse

import pytest
import spacy
from serve_helpers import (
    HAND_TEXT,
    MARKUP,
    TEXTS,
    check_threshold,
    drawn_counts,
    facts_doc as make_facts_doc,
    hover,
    http,
    wanted_counts,
)
from typer.testing import CliRunner

from kgx_spacy.cli import app
from kgx_spacy.view import doc_record, render

pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[test]')")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.filterwarnings(r"ignore:(Dataset\.\w+|ConjunctiveGraph) is deprecated:DeprecationWarning")


def open_page(driver, path):
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-kgx-document]"))


def check_document(driver, n: int, record: dict) -> None:
    """Document ``n`` of the page draws exactly ``record``'s facts, each named as in it."""
    counts, wanted = drawn_counts(driver, n), wanted_counts(record)
    assert {key: counts.get(key, 0) for key in wanted} == wanted
    section = driver.find_element(By.CSS_SELECTOR, f'[data-kgx-document="{n}"]')
    marks = section.find_elements(By.CSS_SELECTOR, 'mark[data-kgx-kind="entity"]')
    assert [m.get_attribute("data-iri") for m in marks] == [e["iri"] for e in record["ents"]]
    assert [m.text for m in marks] == [record["text"][record["tokens"][e["start"]][0]:record["tokens"][e["end"] - 1][1]]
                                       for e in record["ents"]]
    arcs = section.find_elements(By.CSS_SELECTOR, '[data-kgx-view="text"][data-kgx-kind="relation"] text')
    assert [a.text for a in arcs] == [f"{r['label']} {r['score']:.3f}" for r in record["kgx_relations"]]
    assert section.find_element(By.CSS_SELECTOR, ".kgx-text").get_attribute("textContent") == record["text"]


def check_hover(driver, n: int, record: dict) -> None:
    """Hovering each graph edge shows its confidence, its property IRI and its sentence;
    hovering an entity shows its IRI."""
    section = driver.find_element(By.CSS_SELECTOR, f'[data-kgx-document="{n}"]')
    edges = section.find_elements(By.CSS_SELECTOR, '.kgx-edge[data-kgx-view="graph"]')
    facts = record["kgx_relations"] + record["kgx_attributes"]
    assert len(edges) == len(facts)
    for edge, fact in zip(edges, facts):
        tip = hover(driver, edge)
        assert f"confidence {fact['score']:.3f}" in tip and f"property: {fact['property']}" in tip
        assert "sentence: " in tip
    for mark, ent in zip(section.find_elements(By.CSS_SELECTOR, 'mark[data-kgx-kind="entity"]'), record["ents"]):
        tip = hover(driver, mark)
        assert ent["iri"] in tip and f"confidence {ent['score']:.3f}" in tip
        assert ("new entity" in tip) == ent["nil"]


def test_page_of_a_hand_made_doc(browser, facts_doc, tmp_path):
    record = doc_record(facts_doc)
    path = tmp_path / "ada.html"
    path.write_text(render(facts_doc, title="kgx show: Ada Lovelace"), encoding="utf-8")
    open_page(browser, path)
    check_document(browser, 0, record)
    assert drawn_counts(browser, 0)["text argument"] == 1  # "machine", outside doc.ents
    assert browser.title == "kgx show: Ada Lovelace"
    check_hover(browser, 0, record)
    for value in (0.5, 0.8, 0.0):
        check_threshold(browser, value)
    browser.find_element(By.TAG_NAME, "h1").click()  # the pointer leaves the facts: no tooltip
    extra = browser.execute_script("return window.outerHeight - window.innerHeight")
    browser.set_window_size(1280, browser.execute_script("return document.documentElement.scrollHeight") + extra)
    try:
        shot = tmp_path / "kgx-show.png"
        assert browser.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
        if os.environ.get("KGX_SCREENSHOT"):
            target = os.path.abspath(os.environ["KGX_SCREENSHOT"])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(shot, target)
    finally:
        browser.set_window_size(1280, 1000)


def test_text_is_never_markup(browser, tmp_path):
    doc = make_facts_doc(MARKUP)
    path = tmp_path / "markup.html"
    path.write_text(render(doc), encoding="utf-8")
    open_page(browser, path)
    check_document(browser, 0, doc_record(doc))
    assert browser.execute_script("return window.kgxInjected") is None
    assert not browser.find_elements(By.CSS_SELECTOR, ".kgx-text b")


def test_page_that_kgx_show_wrote(browser, trained_model, tmp_path):
    path = tmp_path / "show.html"
    result = CliRunner().invoke(app, ["show", str(trained_model), *TEXTS, "-o", str(path)])
    assert result.exit_code == 0, result.output
    nlp = spacy.load(trained_model)
    records = [doc_record(doc) for doc in nlp.pipe(TEXTS)]
    open_page(browser, path)
    for n, record in enumerate(records):
        assert record["kgx_relations"] and record["kgx_attributes"]
        check_document(browser, n, record)
    check_hover(browser, 0, records[0])
    scores = sorted({fact["score"] for r in records for fact in r["ents"] + r["kgx_relations"] + r["kgx_attributes"]})
    for value in (0.5, scores[len(scores) // 2], 1.0):
        check_threshold(browser, value)


def test_page_that_kgx_serve_answers(browser, served, trained_model):
    base, _, _ = served
    browser.get(f"{base}/")
    form = browser.find_element(By.ID, "kgx-form")
    form.find_element(By.NAME, "text").send_keys(TEXTS[0])
    form.find_element(By.NAME, "store").click()
    form.find_element(By.CSS_SELECTOR, "button").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-kgx-document]"))
    record = doc_record(spacy.load(trained_model)(TEXTS[0]))
    check_document(browser, 0, record)
    check_hover(browser, 0, record)
    check_threshold(browser, 0.5)
    query = f"ASK {{ GRAPH <{record['iri']}> {{ ?s ?p ?o }} }}"  # the box asked for a store write
    status, _, data = http("GET", f"{base}/sparql?" + urllib.parse.urlencode({"query": query}))
    assert status == 200 and json.loads(data)["boolean"] is True
    form.find_element(By.NAME, "text").clear()
    form.find_element(By.NAME, "text").send_keys(HAND_TEXT + MARKUP)
    form.find_element(By.CSS_SELECTOR, "button").click()
    # the page replaces the old document as the answer arrives: an element read meanwhile goes stale
    WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".kgx-text").get_attribute("textContent") == HAND_TEXT + MARKUP)
    assert browser.execute_script("return window.kgxInjected") is None
