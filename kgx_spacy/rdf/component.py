"""``kgx_rdf``: the last pipeline step; stores the RDF mapping on each Doc for ``doc._.rdf``."""

from typing import Dict, Optional

from spacy.language import Language
from spacy.tokens import Doc

from .. import extensions
from ..extensions import RDF, RDF_CONFIG
from .mapping import DEFAULT_BASE_IRI, RDFMapping, doc_to_dataset


def install_extensions() -> None:
    """The kgx Doc extensions, and ``doc._.rdf``: the Doc as an rdflib Dataset, built on
    access with the mapping ``kgx_rdf`` stored on it (the defaults without one)."""
    extensions.install_extensions()
    if not Doc.has_extension(RDF):
        Doc.set_extension(RDF, getter=doc_to_dataset)


@Language.factory(
    "kgx_rdf",
    assigns=[f"doc._.{RDF_CONFIG}"],
    default_config={
        "base_iri": DEFAULT_BASE_IRI,
        "classes": {},
        "properties": {},
        "attributes": {},
        "vocabulary": None,
        "include_text": True,
        "run_id": None,
    },
)
def make_rdf_component(
    nlp: Language,
    name: str,
    base_iri: str,
    classes: Dict[str, str],
    properties: Dict[str, str],
    attributes: Dict[str, str],
    vocabulary: Optional[str],
    include_text: bool,
    run_id: Optional[str],
) -> "RDFComponent":
    """The mapping lives in the config, so a saved pipeline always writes the same vocabulary."""
    mapping = RDFMapping(
        base_iri=base_iri,
        classes=dict(classes),
        properties=dict(properties),
        attributes=dict(attributes),
        vocabulary=vocabulary,
        include_text=include_text,
        run_id=run_id,
    )
    return RDFComponent(mapping)


class RDFComponent:
    """Sets ``doc._.kgx_rdf_config`` so ``doc._.rdf`` builds the Doc's Dataset on access.

    The Dataset itself is not stored: it is not msgpack-safe, and most Docs are exported in
    a stream (``kgx export``) without ever materialising one.
    """

    def __init__(self, mapping: RDFMapping):
        install_extensions()
        self.mapping = mapping
        self._config = mapping.to_dict()

    def __call__(self, doc: Doc) -> Doc:
        doc._.set(RDF_CONFIG, self._config)
        return doc
