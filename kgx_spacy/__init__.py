"""kgx-spacy: spaCy components that turn text into a knowledge graph."""

__version__ = "0.1.0"


def __getattr__(name: str):
    # ``kgx_spacy.render(doc)`` without importing spaCy and rdflib with the package itself,
    # which spaCy's entry points import before any component.
    if name == "render":
        from .view import render

        return render
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
