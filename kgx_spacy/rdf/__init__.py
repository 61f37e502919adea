"""Doc → RDF: vocabulary, mapping with provenance, serialisers and store writers."""

from .mapping import RDFMapping, doc_quads, doc_to_dataset
from .vocab import KGX

__all__ = ["KGX", "RDFMapping", "doc_quads", "doc_to_dataset"]
