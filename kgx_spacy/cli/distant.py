"""``kgx distant-label``: your texts + your RDF graph → training Docs (distant supervision)."""

import json
import sys
import zlib
from pathlib import Path
from typing import List, Optional

import spacy
import typer

from ..corpora import write_docbin
from ..supervision.distant import DistantLabeler, DistantReport, GraphFacts
from ..errors import KgxInputError
from ..extensions import DOC_ID, install_extensions
from ..io import atomic_write
from ..kb.build import DEFAULT_LABEL_PREDICATES, read_quads
from ._app import app, fail_cleanly
from .extract import input_files, read_texts
from .kb import parse_label_predicates


@app.command("distant-label")
def distant_label_cli(
    inputs: List[Path] = typer.Argument(..., help=".txt and .jsonl files, folders of them, or - for stdin."),
    kg: List[Path] = typer.Option(..., "--kg", help="RDF file of your graph (any format kgx kb build reads); repeat."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for train.spacy, dev.spacy, report.json."),
    dev_fraction: float = typer.Option(0.1, "--dev-fraction", min=0.0, max=1.0, help="Share of documents for dev.spacy."),
    lang: str = typer.Option("en", "--lang", help="spaCy language of the texts (its tokenizer)."),
    label_predicates: Optional[List[str]] = typer.Option(
        None, "--label-predicate", "-l", help="Label predicate (IRI or prefixed name); repeat. Default: kgx kb build's."
    ),
    label_lang: Optional[List[str]] = typer.Option(None, "--label-lang", help="Keep labels in this language; repeat."),
    entity_label: str = typer.Option("ENT", "--entity-label", help="doc.ents label of the aligned entities."),
    keep_empty: bool = typer.Option(False, "--keep-empty", help="Keep documents in which no fact was found."),
    id_field: str = typer.Option("id", "--id-field", help="JSONL field of the document id."),
    text_field: str = typer.Option("text", "--text-field", help="JSONL field of the text."),
):
    """Label texts with the facts of an RDF graph they state: entities (linked), relations
    and literal attributes, as DocBins to train a pipeline on your own KG."""
    try:
        report = distant_label(
            inputs, kg, output, dev_fraction, lang, label_predicates, label_lang, entity_label,
            keep_empty, id_field, text_field,
        )
    except KgxInputError as err:
        raise fail_cleanly(err)
    typer.echo(report.summary())
    typer.echo(f"  → {output / 'train.spacy'}, {output / 'dev.spacy'}, {output / 'report.json'}")


def distant_label(
    inputs: List[Path],
    kg: List[Path],
    output: Path,
    dev_fraction: float = 0.1,
    lang: str = "en",
    label_predicates: Optional[List[str]] = None,
    label_lang: Optional[List[str]] = None,
    entity_label: str = "ENT",
    keep_empty: bool = False,
    id_field: str = "id",
    text_field: str = "text",
) -> DistantReport:
    """Distant-label the texts of ``inputs`` with the graph of ``kg`` into ``output``.

    A document goes to dev when a hash of its id (its text when it has none) falls in
    ``dev_fraction``, so the split does not depend on the input order. The report also
    holds ``properties`` (relation/attribute name → predicate IRI, for ``kgx_rdf``'s
    ``properties``/``attributes``) and ``value_kinds`` (for ``kgx_attribute_tagger``).
    Every file is read before anything is written; outputs are written atomically.
    """
    install_extensions()
    predicates = parse_label_predicates(label_predicates) if label_predicates else DEFAULT_LABEL_PREDICATES
    quads = (quad for path in kg for quad in read_quads(path))
    graph = GraphFacts(quads, predicates, label_lang)
    nlp = spacy.blank(lang)
    labeler = DistantLabeler(entity_label, lang=lang)
    sources = input_files(inputs, exclude={(output / name).resolve() for name in ("train.spacy", "dev.spacy")})
    report = DistantReport("distant-label", "all", [str(s) for s, _ in sources])
    splits = {"train": [], "dev": []}
    for text, doc_id in read_texts(sources, id_field, text_field, "text", sys.stdin.buffer):
        doc = nlp.make_doc(text)
        if doc_id is not None:
            doc._.set(DOC_ID, doc_id)
        entities = graph.mentioned(doc)
        facts = graph.facts_between(entities)
        aligned = report.aligned_facts
        labeler(doc, facts, graph.labels, report, entities=entities)
        if report.aligned_facts == aligned and not keep_empty:
            report.dropped["docs.no_fact"] += 1
            continue
        report.count(doc)
        key = (doc_id if doc_id is not None else text).encode("utf-8")
        splits["dev" if zlib.crc32(key) / 2**32 < dev_fraction else "train"].append(doc)
    for split, docs in splits.items():
        write_docbin(docs, output / f"{split}.spacy")
    data = report.to_dict()
    data["documents"] = {split: len(docs) for split, docs in splits.items()}
    data["properties"] = dict(sorted(graph.properties.items()))
    data["attribute_value_kinds"] = report.majority_kinds()
    with atomic_write(output / "report.json", "w") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
    return report
