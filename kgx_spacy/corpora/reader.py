"""The ``kgx.Corpus.v1`` reader: Examples from converted DocBin files, gold user data kept."""

import random
from pathlib import Path
from typing import Callable, Iterator, Union

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example
from spacy.training.corpus import walk_corpus

from ..extensions import DOC_ID


@spacy.util.registry.readers("kgx.Corpus.v1")
def create_corpus_reader(
    path: Union[str, Path],
    gold_entities: bool = False,
    max_length: int = 0,
    limit: int = 0,
    shuffle: bool = False,
) -> Callable[[Language], Iterator[Example]]:
    """Read Examples from a ``.spacy`` file (or a folder of them) written by ``kgx convert``.

    The reference Doc keeps everything the file holds (entities, links, ``kgx_*`` user
    data); the predicted Doc has the same tokens, so gold token offsets hold on both.
    gold_entities: give the predicted Doc the gold doc.ents (spans and labels, no links),
        to train relation/attribute/linking heads on gold entities.
    max_length: skip Docs longer than this many tokens (0: no limit); Docs are not split,
        since relations may cross sentences.
    limit: read at most this many Docs (0: all). shuffle: shuffle them on every pass.
    """
    path = Path(path)

    def read(nlp: Language) -> Iterator[Example]:
        docs = []
        for file in walk_corpus(path, ".spacy"):
            docs.extend(DocBin().from_disk(file).get_docs(nlp.vocab))
            if limit and len(docs) >= limit:
                docs = docs[:limit]
                break
        if shuffle:
            random.shuffle(docs)
        for reference in docs:
            if len(reference) == 0 or (max_length and len(reference) > max_length):
                continue
            yield Example(_predicted(nlp, reference, gold_entities), reference)

    return read


def _predicted(nlp: Language, reference: Doc, gold_entities: bool) -> Doc:
    doc = Doc(
        nlp.vocab,
        words=[token.text for token in reference],
        spaces=[bool(token.whitespace_) for token in reference],
    )
    doc._.set(DOC_ID, reference._.get(DOC_ID))
    if gold_entities:
        doc.ents = [Span(doc, e.start, e.end, label=e.label_) for e in reference.ents]
    return doc
