"""Fixtures of the page and service tests: a small trained pipeline saved to disk (entity
ruler + tiny transformer + relation classifier + attribute tagger + kgx_rdf), a real
``kgx serve`` of it with a store, and a headless Debian chromium driven by Selenium.

Without chromium, chromedriver or selenium the browser tests skip; the reason is printed
at the end of the run (scripts/setup.sh installs chromium with apt-get as root).
"""

import os
import shutil
from pathlib import Path

import pytest
from serve_helpers import (
    BASE,
    TRAIN_DATA,
    facts_doc as make_facts_doc,
    make_reference,
    start_server,
    stop_server,
    wait_ready,
)
from spacy.training import Example

CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def trained_model(blank_with_transformer, tmp_path_factory) -> Path:
    """A saved pipeline overfit on TRAIN_DATA, so that it finds entities, relations and
    attributes in its texts."""
    nlp = blank_with_transformer()
    nlp.add_pipe("kgx_relation_classifier", config={"model": {"hidden_width": 32}})
    nlp.add_pipe("kgx_attribute_tagger", config={
        "value_kinds": {"birth_date": "date", "founded": "date"}, "model": {"hidden_width": 32}})
    examples = [Example(nlp.make_doc(t), make_reference(nlp, t, *rest)) for t, *rest in TRAIN_DATA]
    optimizer = nlp.initialize(get_examples=lambda: examples)
    optimizer.learn_rate = 2e-3
    for _ in range(120):
        nlp.update(examples, sgd=optimizer)
    ruler = nlp.add_pipe("entity_ruler", first=True)
    ruler.add_patterns([{"label": label, "pattern": m} for _, ents, _, _ in TRAIN_DATA for m, label in ents])
    nlp.add_pipe("kgx_rdf", config={"base_iri": BASE, "classes": {"PER": "http://schema.org/Person"}})
    path = tmp_path_factory.mktemp("trained") / "model"
    nlp.to_disk(path)
    return path


@pytest.fixture
def facts_doc():
    return make_facts_doc()


@pytest.fixture(scope="session")
def served(trained_model, tmp_path_factory):
    """``(base URL, store folder, statuses /health gave while loading)`` of ``kgx serve``
    over the trained pipeline with a store; stopped at the end of the session."""
    store = tmp_path_factory.mktemp("served") / "store"
    process, base = start_server(trained_model, store, "--max-bytes", "2000000")
    try:
        loading = wait_ready(base, process)
        yield base, store, loading
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def browser():
    """A headless chromium (Selenium, the system chromedriver: nothing is downloaded)."""
    reason = None
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        reason = "selenium is not installed (pip install -e '.[test]')"
    chromium = shutil.which("chromium")
    if reason is None and (chromium is None or not Path(CHROMEDRIVER).exists()):
        reason = "Debian's chromium and chromium-driver are not installed (scripts/setup.sh installs them as root)"
    if reason:
        pytest.skip(reason)
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not try to download anything
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def pytest_terminal_summary(terminalreporter):
    """Say why tests here skipped, even when the run does not list skips (no ``-rs``)."""
    reasons = {
        report.longrepr[2].removeprefix("Skipped: ") for report in terminalreporter.stats.get("skipped", [])
        if report.nodeid.startswith("tests/serve/") and isinstance(report.longrepr, tuple)
    }
    for reason in sorted(reasons):
        terminalreporter.write_line(f"tests/serve skipped: {reason}", yellow=True)
