"""A Doc as JSON: its text, the Doc contract's records, and the IRIs its RDF gives them.

The one JSON form of a Doc: ``kgx serve`` answers with it and the page draws it. The
records keep the contract's token offsets; ``tokens`` maps each token to its characters.
"""

from typing import List, Optional

from spacy.pipeline import Sentencizer
from spacy.tokens import Doc

from ..extensions import ATTRIBUTES, DOC_ID, LINKS, RELATIONS, install_extensions
from ..rdf.mapping import RDFMapping, argument_iri, mentions
from ..rdf.oxigraph import doc_mapping


def doc_record(doc: Doc, mapping: Optional[RDFMapping] = None) -> dict:
    """The Doc as a JSON-safe dict.

    mapping: names the IRIs; None uses the Doc's own ``kgx_rdf`` mapping (as ``doc._.rdf``).
    RETURNS: ``id``, ``iri`` (the document), ``text``, ``tokens`` (``[start_char, end_char]``
        per token), ``sents`` (token offsets; from a rule-based sentencizer when the
        pipeline sets none), ``ents`` (``start``, ``end``, ``label``, ``score``, ``iri``,
        ``linked``: a KB IRI, ``nil``: a new entity), and ``kgx_links``, ``kgx_relations``
        and ``kgx_attributes`` as the contract has them, each relation with ``property``,
        ``head_iri``, ``tail_iri`` and each attribute with ``property``, ``entity_iri``.
    """
    install_extensions()
    mapping = doc_mapping(doc, mapping)
    found = mentions(doc, mapping)
    iris = {key: mention.iri for key, mention in found.items()}
    ents = []
    for (start, end), (span, label, score, iri, link) in found.items():
        link = link or {}
        nil = bool(link.get("nil"))
        ents.append({
            "start": start, "end": end, "label": label, "score": score, "iri": str(iri),
            "linked": not nil and bool(link.get("iri") or span.kb_id_), "nil": nil,
        })
    relations = [
        {
            **rel, "score": rel.get("score", 1.0), "property": str(mapping.property_iri(rel["label"])),
            "head_iri": str(argument_iri(doc[slice(*rel["head"])], iris, mapping)),
            "tail_iri": str(argument_iri(doc[slice(*rel["tail"])], iris, mapping)),
        }
        for rel in doc._.get(RELATIONS)
    ]
    attributes = [
        {
            **attr, "score": attr.get("score", 1.0), "property": str(mapping.attribute_iri(attr["attribute"])),
            "entity_iri": str(argument_iri(doc[slice(*attr["entity"])], iris, mapping)),
        }
        for attr in doc._.get(ATTRIBUTES)
    ]
    return {
        "id": doc._.get(DOC_ID),
        "iri": str(mapping.doc_iri(doc)),
        "text": doc.text,
        "tokens": [[token.idx, token.idx + len(token.text)] for token in doc],
        "sents": sentences(doc),
        "ents": ents,
        LINKS: [dict(link) for link in doc._.get(LINKS)],
        RELATIONS: relations,
        ATTRIBUTES: attributes,
    }


def sentences(doc: Doc) -> List[List[int]]:
    """``[start, end]`` token offsets of the Doc's sentences; a pipeline that sets none gets
    spaCy's rule-based sentencizer, run on a copy (the Doc itself is left as it is)."""
    if not doc.has_annotation("SENT_START"):
        words = [token.text for token in doc]
        spaces = [bool(token.whitespace_) for token in doc]
        doc = Sentencizer()(Doc(doc.vocab, words=words, spaces=spaces))
    return [[sent.start, sent.end] for sent in doc.sents]
