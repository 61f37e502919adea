"""Pictures of Docs: their JSON form (the text, the Doc contract's records and their IRIs)
and one self-contained HTML page that draws it (``kgx show``, ``kgx serve``'s home page)."""

from .page import page, render
from .records import doc_record

__all__ = ["doc_record", "page", "render"]
