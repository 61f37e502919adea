"""The IRIs kgx-spacy mints: documents and unlinked (NIL) entities, under a base IRI.

One home for the naming rules, so that the RDF mapping, the entity linker (NIL mentions)
and ``kgx extract --resume`` (which names a document before making its Doc) always agree.
Every IRI is deterministic and reversible per segment (``urllib.parse.unquote``).
"""

import hashlib
import unicodedata
from typing import Optional
from urllib.parse import quote

DEFAULT_BASE_IRI = "http://example.org/kgx/"


def base(iri: str) -> str:
    """A base IRI ends with ``/`` or ``#``; ``/`` is added otherwise."""
    return iri if iri.endswith(("/", "#")) else iri + "/"


def mint(base_iri: str, *segments: str) -> str:
    """``base_iri`` followed by the %-encoded segments joined by ``/``."""
    return base_iri + "/".join(encode_segment(s) for s in segments)


def document_iri(base_iri: str, text: str, doc_id: Optional[str]) -> str:
    """A document's IRI: by its id, else by a hash of its text (``sha1-<20 hex>``)."""
    if doc_id is None:
        doc_id = "sha1-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]
    return mint(base_iri, "document", str(doc_id))


def entity_iri(base_iri: str, text: str, label: Optional[str]) -> str:
    """Minted IRI for an unlinked mention: the same text and type give the same IRI."""
    return mint(base_iri, "entity", label or "Entity", normalise_mention(text))


def normalise_mention(text: str) -> str:
    """NFC with runs of white space folded to one space, so layout does not mint new IRIs."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def encode_segment(text: str) -> str:
    """An IRI path segment: every character outside RFC 3986's unreserved set %-encoded.

    Reversible (``urllib.parse.unquote``), so two different texts never share an IRI;
    ``"John Smith"`` → ``John%20Smith``, ``"based_in"`` stays ``based_in``.
    """
    return quote(text, safe="")
