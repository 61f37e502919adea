"""``kgx distant-label``: your texts + your RDF graph → training Docs (distant supervision)."""

from pathlib import Path
from typing import List, Optional

import typer

from ..supervision.distant import WINDOW_DOC, label_texts, parse_window


def _window(text: str):
    """The --window option parsed (``parse_window``), a bad value as a usage error."""
    try:
        return parse_window(text)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None


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
    window: str = typer.Option(
        WINDOW_DOC, "--window", callback=_window,
        help="Keep a fact only when its two ends are in one sentence (sentence), at most N tokens apart (N), "
        "or anywhere in the text (doc).",
    ),
):
    """Label texts with the facts of an RDF graph they state: entities (linked), relations
    and literal attributes, as DocBins to train a pipeline on your own KG."""
    report = label_texts(
        inputs, kg, output, dev_fraction, lang, label_predicates, label_lang, entity_label,
        keep_empty, id_field, text_field, window,
    )
    typer.echo(report.summary())
    typer.echo(f"  → {output / 'train.spacy'}, {output / 'dev.spacy'}, {output / 'report.json'}")

