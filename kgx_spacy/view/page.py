"""One self-contained HTML page of Docs: the text with its entities and the arcs of its
relations and attributes, the document graph, and a slider that hides facts below a
confidence.

The page draws itself in the browser from the Docs' JSON (``doc_record``) with the script
and style beside this module (page.js, page.css: ours, MIT like the package). It loads
nothing else, so it works offline; every drawn fact carries ``data-kgx-kind``
(``entity``, ``relation``, ``attribute``), ``data-kgx-view`` (``text``, ``graph``) and
``data-confidence``.
"""

import html
import json
from importlib import resources
from typing import Iterable, List, Optional, Union

from spacy.tokens import Doc

from ..rdf.mapping import RDFMapping
from .records import doc_record

TITLE = "kgx-spacy"


def render(
    docs: Union[Doc, Iterable[Doc]],
    threshold: float = 0.0,
    title: str = TITLE,
    mapping: Optional[RDFMapping] = None,
) -> str:
    """The page of one Doc or of several (one section each), as an HTML string.

    threshold: where the slider starts: facts below this confidence start hidden.
    mapping: names the IRIs shown; None uses each Doc's own ``kgx_rdf`` mapping.
    """
    docs = [docs] if isinstance(docs, Doc) else docs
    return page([doc_record(doc, mapping) for doc in docs], threshold, title)


def page(
    records: List[dict], threshold: float = 0.0, title: str = TITLE, form: bool = False, store: bool = False
) -> str:
    """The page of Doc records (``doc_record``).

    form: add a text box that posts to ``extract`` (relative to the page) and draws the
        answer: ``kgx serve``'s home page. store: offer to write the answer to the store.
    """
    data = {"documents": records, "threshold": threshold}
    controls = ""
    if form:
        store_box = '<label><input type="checkbox" name="store"> write to the store</label>' if store else ""
        controls = (
            '<form id="kgx-form"><textarea name="text" rows="4" placeholder="Text to extract from" required>'
            f'</textarea><div><button type="submit">Extract</button> {store_box}'
            '<output id="kgx-status"></output></div></form>'
        )
    return TEMPLATE.format(
        title=html.escape(title),
        style=_asset("page.css"),
        controls=controls,
        threshold=html.escape(f"{threshold:g}"),
        data=script_json(data),
        script=_asset("page.js"),
    )


def script_json(data) -> str:
    """``data`` as JSON that cannot close the ``<script>`` element holding it: ``<``, ``>``,
    ``&`` and the JavaScript line separators are written as escapes, still valid JSON."""
    text = json.dumps(data, ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kgx-spacy">
<title>{title}</title>
<style>
{style}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<label class="kgx-slider">hide facts below confidence
<input type="range" id="kgx-threshold" min="0" max="1" step="0.01" value="{threshold}">
<output id="kgx-threshold-value"></output></label>
<p id="kgx-summary"></p>
<p id="kgx-legend"></p>
</header>
{controls}
<main id="kgx-documents"></main>
<div id="kgx-tip" role="tooltip" hidden></div>
<script type="application/json" id="kgx-data">{data}</script>
<script>
{script}</script>
</body>
</html>
"""
