"""Shared pieces of the page and service tests: the training data of the small pipeline,
a Doc with facts set by hand, an HTTP client, a ``kgx serve`` process, and the checks a
browser runs on a drawn page."""

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

BASE = "http://kg.example/"
# text, entities (mention, label), relations (head, tail, label), attributes (entity, value, attribute)
TRAIN_DATA = [
    ("john smith works for acme corp in paris . he was born on december 23 , 1943 .",
     [("john smith", "PER"), ("acme corp", "ORG"), ("paris", "LOC")],
     [("john smith", "acme corp", "work_for"), ("acme corp", "paris", "based_in")],
     [("john smith", "december 23 , 1943", "birth_date")]),
    ("mary jones lives in london . she was born in 1968 .",
     [("mary jones", "PER"), ("london", "LOC")],
     [("mary jones", "london", "live_in")],
     [("mary jones", "1968", "birth_date")]),
    ("the company acme inc is based in berlin and was founded in 1990 .",
     [("acme inc", "ORG"), ("berlin", "LOC")],
     [("acme inc", "berlin", "based_in")],
     [("acme inc", "1990", "founded")]),
]
TEXTS = [text for text, *_ in TRAIN_DATA]
# The text of the hand-made Doc, and a tail of markup, a </script> and an ampersand that
# must stay text wherever it is shown.
HAND_TEXT = (
    "Ada Lovelace was born in London on 10 December 1815. She worked with Charles Babbage on "
    'the Analytical Engine, a "machine" of his design.'
)
MARKUP = ' <b>Bold?</b> </script><script>window.kgxInjected = 1</script> & "more".'


def char_span(doc, mention: str, label=None):
    start = doc.text.index(mention)
    return doc.char_span(start, start + len(mention), label=label or 0, alignment_mode="expand")


def make_reference(nlp, text, ents, rels, attrs):
    """A gold Doc of one TRAIN_DATA row."""
    doc = nlp.make_doc(text)
    doc.ents = [char_span(doc, m, label) for m, label in ents]
    spans = {span.text: span for span in doc.ents}
    doc._.kgx_relations = [
        {"head": [spans[h].start, spans[h].end], "tail": [spans[t].start, spans[t].end], "label": label, "score": 1.0}
        for h, t, label in rels
    ]
    doc._.kgx_attributes = [
        {"entity": [spans[e].start, spans[e].end], "value": [char_span(doc, v).start, char_span(doc, v).end],
         "attribute": a, "score": 1.0, "lexical": "", "datatype": None}
        for e, v, a in attrs
    ]
    return doc


def facts_doc(tail: str = ""):
    """A Doc of ``HAND_TEXT + tail`` with every kind of fact set by hand through the
    extensions: linked, new (NIL) and unlinked entities with scores, relations (one to a
    span outside doc.ents) and an attribute."""
    import spacy
    from spacy.tokens import SpanGroup

    from kgx_spacy.rdf.component import install_extensions

    install_extensions()
    nlp = spacy.blank("en")
    nlp.add_pipe("kgx_rdf", config={"base_iri": BASE})
    doc = nlp(HAND_TEXT + tail)
    ada, london = char_span(doc, "Ada Lovelace", "PERSON"), char_span(doc, "London", "CITY")
    babbage, engine = char_span(doc, "Charles Babbage", "PERSON"), char_span(doc, "Analytical Engine", "MACHINE")
    date, machine = char_span(doc, "10 December 1815"), char_span(doc, '"machine"')
    doc.ents = [ada, london, babbage, engine]
    doc.spans["kgx_entities"] = SpanGroup(doc, name="kgx_entities", spans=list(doc.ents), attrs={"scores": [0.98, 0.91, 0.95, 0.62]})
    doc._.kgx_links = [
        {"start": ada.start, "end": ada.end, "iri": "http://dbpedia.org/resource/Ada_Lovelace", "score": 0.93, "nil": False},
        {"start": london.start, "end": london.end, "iri": "http://dbpedia.org/resource/London", "score": 0.88, "nil": False},
        {"start": engine.start, "end": engine.end, "iri": f"{BASE}entity/MACHINE/Analytical%20Engine", "score": 0.41, "nil": True},
    ]
    doc._.kgx_relations = [
        {"head": [ada.start, ada.end], "tail": [london.start, london.end], "label": "birthPlace", "score": 0.87},
        {"head": [ada.start, ada.end], "tail": [babbage.start, babbage.end], "label": "collaborator", "score": 0.74},
        {"head": [babbage.start, babbage.end], "tail": [engine.start, engine.end], "label": "designer", "score": 0.33},
        {"head": [engine.start, engine.end], "tail": [machine.start, machine.end], "label": "kindOf", "score": 0.21},
    ]
    doc._.kgx_attributes = [
        {"entity": [ada.start, ada.end], "value": [date.start, date.end], "attribute": "birthDate", "score": 0.81,
         "lexical": "1815-12-10", "datatype": "http://www.w3.org/2001/XMLSchema#date"},
    ]
    doc._.kgx_doc_id = "ada.txt"
    return doc


# --- HTTP -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, body=None, headers: Optional[dict] = None, timeout: float = 60):
    """(status, headers, body bytes) of one request; a dict body is sent as JSON."""
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def wait_ready(base: str, process: Optional[subprocess.Popen] = None, timeout: float = 180) -> list:
    """Poll /health until it answers 200; RETURNS the statuses seen before (503 while loading)."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"kgx serve exited: {process.stderr.read().decode()}")
        try:
            status, _, _ = http("GET", f"{base}/health", timeout=5)
        except OSError:
            time.sleep(0.05)
            continue
        if status == 200:
            return seen
        seen.append(status)
        time.sleep(0.02)
    raise RuntimeError(f"kgx serve did not get ready at {base} within {timeout} s")


def start_server(model: Path, store: Optional[Path], *options: str):
    """``kgx serve MODEL`` in a subprocess on a free port of 127.0.0.1: (process, base URL)."""
    port = free_port()
    command = [sys.executable, "-m", "kgx_spacy.cli", "serve", str(model), "--port", str(port), *options]
    if store is not None:
        command += ["--store", str(store)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return process, f"http://127.0.0.1:{port}"


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the checks a browser runs on a drawn page -------------------------------------------------

FACTS = ("entity", "relation", "attribute")
_COUNT = """
const counts = {};
document.querySelector(`[data-kgx-document="${arguments[0]}"]`).querySelectorAll("[data-kgx-kind]").forEach((el) => {
  const key = `${el.getAttribute("data-kgx-view")} ${el.getAttribute("data-kgx-kind")}`;
  counts[key] = (counts[key] || 0) + 1;
});
return counts;
"""
# A point (viewport pixels) where the element itself is on top, so a pointer there hovers it.
_POINT = """
const el = arguments[0];
el.scrollIntoView({block: "center", inline: "center"});
const points = [];
const hit = el.querySelector("path.kgx-hit");
if (hit) {
  const length = hit.getTotalLength(), m = hit.getScreenCTM();
  for (const f of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]) {
    const p = hit.getPointAtLength(length * f);
    points.push([m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f]);
  }
}
for (const part of [el, ...el.querySelectorAll("text")]) {
  for (const r of part.getClientRects()) {
    for (const fx of [0.5, 0.3, 0.7]) for (const fy of [0.5, 0.3, 0.7]) points.push([r.left + r.width * fx, r.top + r.height * fy]);
  }
}
for (const [x, y] of points) {
  const top = document.elementFromPoint(x, y);
  if (top && (top === el || el.contains(top))) return [x, y];
}
return null;
"""
_VISIBLE = """
return [...document.querySelectorAll("[data-kgx-kind][data-confidence]")]
  .filter((el) => ["entity", "relation", "attribute"].includes(el.getAttribute("data-kgx-kind")))
  .map((el) => {
    const style = getComputedStyle(el);
    const shown = el instanceof SVGElement
      ? style.display !== "none" && el.getClientRects().length > 0
      : style.backgroundColor !== "rgba(0, 0, 0, 0)";
    return [Number(el.getAttribute("data-confidence")), el.classList.contains("kgx-below"), shown];
  });
"""


def drawn_counts(driver, n: int) -> dict:
    """``{"text entity": …, "graph relation": …}``: the elements of document ``n`` by view and kind."""
    return driver.execute_script(_COUNT, n)


def wanted_counts(record: dict) -> dict:
    """What the page must draw of one Doc record: every entity mention, relation and
    attribute in the text; every entity (one node per IRI), relation and attribute in the graph."""
    nodes = {e["iri"] for e in record["ents"]}
    nodes |= {r[k] for r in record["kgx_relations"] for k in ("head_iri", "tail_iri")}
    nodes |= {a["entity_iri"] for a in record["kgx_attributes"]}
    relations, attributes = len(record["kgx_relations"]), len(record["kgx_attributes"])
    return {"text entity": len(record["ents"]), "text relation": relations, "text attribute": attributes,
            "graph entity": len(nodes), "graph relation": relations, "graph attribute": attributes}


def hover(driver, element) -> str:
    """Move the pointer onto ``element`` (where nothing covers it); RETURNS the tooltip's text."""
    from selenium.webdriver.common.action_chains import ActionBuilder
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    point = driver.execute_script(_POINT, element)
    assert point is not None, "the element is covered everywhere: it cannot be hovered"
    tip = driver.find_element(By.ID, "kgx-tip")
    for x, y in ((1, 1), point):  # leave whatever was hovered, then enter the element
        actions = ActionBuilder(driver)
        actions.pointer_action.move_to_location(int(x), int(y))
        actions.perform()
    WebDriverWait(driver, 3).until(lambda _: tip.is_displayed())
    return tip.text


def set_threshold(driver, value: float) -> float:
    """Move the slider to ``value``; RETURNS where it stands (it moves in steps of 0.01)."""
    return driver.execute_script(
        "const s = document.getElementById('kgx-threshold'); s.value = arguments[0];"
        "s.dispatchEvent(new Event('input', {bubbles: true})); return Number(s.value);", value)


def check_threshold(driver, value: float) -> None:
    """With the slider at ``value``, exactly the facts below it are hidden."""
    value = set_threshold(driver, value)
    facts = driver.execute_script(_VISIBLE)
    assert facts
    for confidence, below, shown in facts:
        assert below == (confidence < value) and shown == (confidence >= value), (value, confidence, below, shown)
