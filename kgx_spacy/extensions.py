"""The Doc contract: every custom attribute kgx-spacy reads or writes.

All values are msgpack-safe (dicts, lists, str, int, float, bool, None), so that
``DocBin(store_user_data=True)`` keeps gold annotations and predictions intact.
Token offsets are ``[start, end)`` with ``end`` exclusive, as in ``Span``.

- ``doc.ents``: entities; their scores in ``doc.spans[ENTITIES_SPANS_KEY].attrs["scores"]``.
- ``ent.kb_id_``: the linked IRI (or a minted IRI for NIL mentions).
- ``doc._.kgx_links``: ``[{"start", "end", "iri", "score", "nil"}]``.
- ``doc._.kgx_relations``: ``[{"head": [s, e], "tail": [s, e], "label", "score"}]``.
- ``doc._.kgx_attributes``: ``[{"entity": [s, e], "value": [s, e], "attribute", "score",
  "lexical", "datatype"}]``; ``lexical``/``datatype`` is the normalised literal
  (``"1943-12-23"``, ``"http://www.w3.org/2001/XMLSchema#date"``); ``datatype`` may be
  ``rdf:langString``, then the record also has ``"lang"``.
- ``doc._.kgx_doc_id``: the document's identifier (file name, dataset id); names its IRI.
- ``doc._.kgx_annotated_labels``: on gold Docs annotated for some labels only (KnowledgeNet
  passages are exhaustively annotated per property), those relation/attribute labels;
  scorers ignore predictions of other labels there. Empty: annotated for every label.
- ``doc._.kgx_gold_triples``: gold ``[subject, predicate, object]`` strings kept beside a
  text (WebNLG), for text-to-RDF evaluation.
- ``doc._.rdf``: read-only; the Doc as an rdflib ``Dataset``, built by the ``kgx_rdf``
  component's mapping. The component owns it: ``kgx_spacy.rdf.component.install_extensions``
  registers its getter (this module imports nothing of the package).

Nothing is registered when ``kgx_spacy`` is imported: every component, converter and
command that reads or writes these attributes calls ``install_extensions()`` first.
"""

from spacy.tokens import Doc

ENTITIES_SPANS_KEY = "kgx_entities"
LINKS = "kgx_links"
RELATIONS = "kgx_relations"
ATTRIBUTES = "kgx_attributes"
DOC_ID = "kgx_doc_id"
GOLD_TRIPLES = "kgx_gold_triples"
ANNOTATED_LABELS = "kgx_annotated_labels"
RDF_CONFIG = "kgx_rdf_config"
RDF = "rdf"

_LIST_ATTRS = (LINKS, RELATIONS, ATTRIBUTES, GOLD_TRIPLES, ANNOTATED_LABELS)


def install_extensions() -> None:
    """Register the kgx Doc extensions (all but ``doc._.rdf``) once; calling it again changes nothing.

    List-valued attributes use a getter/setter pair over ``doc.user_data`` rather than
    a shared mutable default, so that two Docs never share one list.
    """
    for name in _LIST_ATTRS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, getter=_list_getter(name), setter=_list_setter(name))
    if not Doc.has_extension(DOC_ID):
        Doc.set_extension(DOC_ID, default=None)
    if not Doc.has_extension(RDF_CONFIG):
        Doc.set_extension(RDF_CONFIG, default=None)


def _key(name: str) -> tuple:
    # The key layout spaCy itself uses for extension values in user_data.
    return ("._.", name, None, None)


def _as_lists(value):
    # msgpack gives tuples back after a DocBin round trip; the contract is lists.
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    return value


def _list_getter(name: str):
    def get(doc: Doc) -> list:
        value = doc.user_data.get(_key(name))
        if not isinstance(value, list):
            value = _as_lists(value) if value is not None else []
            doc.user_data[_key(name)] = value
        return value

    return get


def _list_setter(name: str):
    def set_(doc: Doc, value: list) -> None:
        doc.user_data[_key(name)] = _as_lists(list(value))

    return set_
