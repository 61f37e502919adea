"""Distant supervision: label a text with the facts of a knowledge graph it states.

A *fact* is ``(subject, predicate, object)`` where the subject is an entity (an IRI with
labels) and the object an entity or a literal. ``DistantLabeler`` aligns a fact's
arguments to token spans of a Doc and writes the Doc contract's gold annotations:

- entities: ``linking.Aligner`` (labels exact, their variants, acronyms, then fuzzy
  trigram windows) → ``doc.ents`` (one label, ``kb_id_`` the IRI) and ``kgx_links``;
- literal objects, in the same alignment so no span overlaps an entity's:
  - strings (and codes) align like labels ("Aarhus, Denmark", "17R/35L");
  - numbers align by value: a token whose number is the literal's ("2,776" for
    ``2776.0``, "1.2 million" for ``1200000``), with the unit after it when the literal
    has one ("8.3 m" → "8.3 metres");
  - dates align by value: a window around the year that the literal normaliser reads as
    the same date ("May 12th, 1985" for ``1985-05-12``);
- a fact whose subject and object both aligned (and, with a ``window``, close enough)
  becomes a gold relation (entity object) or attribute (literal object) named by its
  predicate; the others are counted by why they were not found (``MISSED_REASONS``), not
  guessed.

Which facts are looked for in a text: with ``label_texts``, every fact of the graph whose
subject the text names by a form of its labels, a shared form included
(``GraphFacts.names``). Not the facts of which only the object is named: an entity many
facts point to ("United States") would make every text that names it look for all of
them. ``facts_between`` offers the aligner the facts whose entity ends are all
``mentioned`` (named, shared forms resolved); the others are counted as missed without
alignment (``GraphFacts.unoffered``). With ``DistantLabeler`` alone (the WebNLG
converter): every fact given to it.
"""

import calendar
import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import pyoxigraph as ox
import spacy
from spacy.tokens import Doc

from ..extensions import ATTRIBUTES, DOC_ID, RELATIONS, install_extensions
from ..inputs import TextReader, input_files
from ..io import atomic_write
from ..kb import normalise
from ..kb.build import DEFAULT_LABEL_PREDICATES, parse_label_predicates, read_quads
from ..literals import (
    KIND_DATE,
    KIND_NUMBER,
    KIND_QUANTITY,
    KIND_STRING,
    LEADING_NUMBER,
    literal_kind,
    normalize_value,
    parse_number,
)
from .align import SUFFIX_WORDS, Aligner, EntityLabels, label_variants
from .records import ConversionReport, EntitySet, attribute, relation, unique, write_docbin

Offsets = Tuple[int, int]

_YEAR = re.compile(r"^\d{4}$")
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
MAX_DATE_TOKENS = 5  # words on either side of the year: "the 12th of May , 1985"
_DAY = re.compile(r"^\d{1,2}(?:st|nd|rd|th)?$")
_MONTHS = frozenset(
    m.lower() for m in (*calendar.month_name[1:], *calendar.month_abbr[1:], "Sept")
)
MAX_UNIT_CHARS = 16  # a unit after a number is one short word ("metres", "km", "inches")

# Where a fact's two ends must be for it to count as stated: anywhere in the text, in one
# sentence, or at most a number of tokens apart (a ``Window`` is one of the two, or an int).
WINDOW_DOC, WINDOW_SENTENCE = "doc", "sentence"
Window = Union[str, int]

# Why a fact looked for in a text was not found (``DistantReport.missed``); the first that
# applies is counted.
AMBIGUOUS_LABEL = "ambiguous_label"  # both ends named, one only by a label other entities share too
NEITHER_FOUND = "neither_found"  # no end aligned
SUBJECT_NOT_FOUND = "subject_not_found"  # the object aligned, the subject not
OBJECT_NOT_FOUND = "object_not_found"  # the subject aligned (or is named), the object not
SAME_SPAN = "same_span"  # both ends aligned to one span (a fact of an entity with itself)
DIFFERENT_SENTENCES = "different_sentences"  # both aligned, not in one sentence (window "sentence")
TOO_FAR_APART = "too_far_apart"  # both aligned, more than ``window`` tokens between them
MISSED_REASONS = (
    AMBIGUOUS_LABEL, NEITHER_FOUND, SUBJECT_NOT_FOUND, OBJECT_NOT_FOUND, SAME_SPAN, DIFFERENT_SENTENCES,
    TOO_FAR_APART,
)


class Fact(NamedTuple):
    """A fact to find in a text.

    subject: the subject entity's IRI.
    predicate: the relation or attribute label it becomes (``birthPlace``).
    object: the object entity's IRI, or the literal as the KG writes it (``1985-05-12``).
    literal: whether ``object`` is a literal.
    kind: for a literal, what it holds: ``date``, ``number``, ``quantity`` or ``string``.
    """

    subject: str
    predicate: str
    object: str
    literal: bool = False
    kind: Optional[str] = None


@dataclass
class DistantReport(ConversionReport):
    """A conversion report that also says how much of the KG's facts the texts state.

    facts: facts offered to the aligner, summed over the texts; aligned_facts: those that
        became gold (``fact_coverage`` is their ratio).
    unoffered_facts: facts looked for but not offered, because the object entity is not
        named in the text or an end only by a shared label (``label_texts``; see the
        module docstring).
    missed: reason (``MISSED_REASONS``) → facts looked for and not found; they add up to
        ``facts + unoffered_facts - aligned_facts``.
    kg_entities / aligned_kg_entities, literals / aligned_literals: the facts' arguments,
    and how many were found in the text; match_kinds: aligned arguments by how they matched.
    value_kinds: per attribute, how many aligned literals held each kind.
    """

    facts: int = 0
    aligned_facts: int = 0
    unoffered_facts: int = 0
    missed: Counter = field(default_factory=Counter)
    kg_entities: int = 0
    aligned_kg_entities: int = 0
    literals: int = 0
    aligned_literals: int = 0
    match_kinds: Counter = field(default_factory=Counter)
    value_kinds: Dict[str, Counter] = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = super().to_dict()
        data["match_kinds"] = dict(sorted(self.match_kinds.items()))
        data["missed"] = {reason: self.missed[reason] for reason in self._reasons()}
        data["value_kinds"] = {a: dict(sorted(c.items())) for a, c in sorted(self.value_kinds.items())}
        for name, (part, whole) in self.coverage().items():
            data[f"{name}_coverage"] = round(part / whole, 4) if whole else 0.0
        return data

    def coverage(self) -> Dict[str, Tuple[int, int]]:
        return {
            "fact": (self.aligned_facts, self.facts),
            "entity": (self.aligned_kg_entities, self.kg_entities),
            "literal": (self.aligned_literals, self.literals),
        }

    def summary(self) -> str:
        parts = [f"{name} {a}/{n} ({a / n if n else 0:.1%})" for name, (a, n) in self.coverage().items()]
        line = f"{super().summary()}; aligned " + ", ".join(parts)
        if self.missed:
            reasons = ", ".join(f"{r} {self.missed[r]}" for r in self._reasons() if self.missed[r])
            looked_for = self.facts + self.unoffered_facts
            line += f"; not found {sum(self.missed.values())} of {looked_for} facts looked for: {reasons}"
        return line

    def _reasons(self) -> List[str]:
        """The reasons of ``MISSED_REASONS`` in their order, then any other counted."""
        return list(dict.fromkeys((*MISSED_REASONS, *sorted(self.missed))))

    def majority_kinds(self) -> Dict[str, str]:
        """Each attribute's most frequent value kind: ``value_kinds`` for the attribute tagger."""
        return {a: c.most_common(1)[0][0] for a, c in sorted(self.value_kinds.items()) if c}


class DistantLabeler:
    """Writes gold entities, relations and attributes from the facts a text states.

    entity_label: the ``doc.ents`` label of every aligned entity (``ENT``: a KG gives
        IRIs, not NER types).
    fuzzy: also align entities and string literals by fuzzy trigram windows.
    lang: the texts' language, for the literal normaliser.
    window: where a fact's ends must be for it to become gold: ``"doc"`` anywhere,
        ``"sentence"`` in one sentence of the Doc (which must have sentence boundaries:
        add spaCy's ``sentencizer``), or an int N: at most N tokens between the two spans.
        When the aligned spans are too far apart, the closest pair of other mentions of
        the ends (in tokens no other span holds) that is near enough is used, and its
        entity mentions join ``doc.ents``.
    """

    def __init__(
        self,
        entity_label: str = "ENT",
        fuzzy: bool = True,
        suffix_words: Sequence[str] = SUFFIX_WORDS,
        lang: str = "en",
        window: Window = WINDOW_DOC,
    ):
        self.entity_label = entity_label
        self.fuzzy = fuzzy
        self.suffix_words = tuple(suffix_words)
        self.lang = lang
        self.window = parse_window(window)

    def aligner(
        self, facts: Sequence[Fact], labels: Mapping[str, Sequence[str]], entities: Sequence[str] = ()
    ) -> Aligner:
        """The aligner of a fact set's entities (and of ``entities``, in no fact) and string
        literals; build it once for all the texts of the same facts.
        labels: entity IRI → its labels."""
        items = [EntityLabels(iri, labels[iri]) for iri in _entities(facts, entities) if labels.get(iri)]
        for fact in facts:
            if fact.literal and fact.kind == KIND_STRING:
                items.append(EntityLabels(_literal_key(fact.object), _literal_forms(fact.object)))
        return Aligner(items, fuzzy=self.fuzzy, suffix_words=self.suffix_words)

    def __call__(
        self,
        doc: Doc,
        facts: Sequence[Fact],
        labels: Mapping[str, Sequence[str]],
        report: DistantReport,
        aligner: Optional[Aligner] = None,
        entities: Sequence[str] = (),
    ) -> None:
        """Set ``doc.ents``, links, ``kgx_relations`` and ``kgx_attributes`` from ``facts``
        (and ``doc.ents`` from ``entities``, entities the text names that are in no fact)."""
        aligner = aligner or self.aligner(facts, labels, entities)
        found = aligner(doc)
        spans: Dict[str, Offsets] = {m.iri: (m.start, m.end) for m in found}
        report.match_kinds.update(m.kind for m in found)
        taken = [False] * len(doc)
        for start, end in spans.values():
            taken[start:end] = [True] * (end - start)
        literals = {f.object for f in facts if f.literal}
        for obj in sorted(literals):
            kind = next(f.kind for f in facts if f.literal and f.object == obj)
            key = _literal_key(obj)
            if key in spans or kind not in (KIND_NUMBER, KIND_QUANTITY, KIND_DATE):
                continue
            span = date_span(doc, obj, taken, self.lang) if kind == KIND_DATE else number_span(doc, obj, taken)
            if span is not None:
                spans[key] = span
                taken[span[0] : span[1]] = [True] * (span[1] - span[0])
                report.match_kinds["value"] += 1

        ents = EntitySet()
        entity_iris = _entities(facts, entities)
        for iri in entity_iris:
            if iri in spans:
                ents.add(spans[iri], self.entity_label, iri)
        report.kg_entities += len(entity_iris)
        report.aligned_kg_entities += sum(iri in spans for iri in entity_iris)
        report.literals += len(literals)
        report.aligned_literals += sum(_literal_key(obj) in spans for obj in literals)

        relations, attributes = [], []
        near = _Nearness(doc, self.window, aligner, spans, taken) if self.window != WINDOW_DOC else None
        for fact in facts:
            report.facts += 1
            key = _literal_key(fact.object) if fact.literal else fact.object
            subject, obj = spans.get(fact.subject), spans.get(key)
            if subject is None or obj is None:
                report.missed[_not_found(subject is not None, obj is not None)] += 1
                continue
            if subject == obj:
                report.missed[SAME_SPAN] += 1
                continue
            if near is not None:
                pair = near.pair(fact.subject, key)
                if pair is None:
                    report.missed[DIFFERENT_SENTENCES if self.window == WINDOW_SENTENCE else TOO_FAR_APART] += 1
                    continue
                subject, obj = pair
                ents.add(subject, self.entity_label, fact.subject)  # the pair may be other mentions
                if not fact.literal:
                    ents.add(obj, self.entity_label, fact.object)
            report.aligned_facts += 1
            if fact.literal:
                text = doc[obj[0] : obj[1]].text
                record = attribute(subject, obj, fact.predicate, text, fact.kind, self.lang)
                attributes.append(record)
                report.value_kinds.setdefault(fact.predicate, Counter())[fact.kind] += 1
            else:
                relations.append(relation(subject, obj, fact.predicate))
        ents.apply(doc, report)
        doc._.set(RELATIONS, unique(relations, report, "relations"))
        doc._.set(ATTRIBUTES, unique(attributes, report, "attributes"))


def parse_window(window: Window) -> Window:
    """A fact window (``DistantLabeler``'s ``window``) from an option's text: ``"doc"``,
    ``"sentence"``, or a number of tokens (``"5"`` → 5, at least 0); ValueError otherwise."""
    if isinstance(window, str) and window.strip().lower() in (WINDOW_DOC, WINDOW_SENTENCE):
        return window.strip().lower()
    try:
        tokens = int(window) if not isinstance(window, (bool, float)) else None
    except ValueError:
        tokens = None
    if tokens is None or tokens < 0:
        raise ValueError(f"window must be 'doc', 'sentence' or a number of tokens (0 or more), got {window!r}")
    return tokens


def sentence_ids(doc: Doc) -> List[int]:
    """Each token's sentence number; ValueError when the Doc has no sentence boundaries."""
    if len(doc) and not doc.has_annotation("SENT_START"):
        raise ValueError(
            "window 'sentence' needs Docs with sentence boundaries: add spaCy's 'sentencizer' to the pipeline"
        )
    ids: List[int] = []
    for number, sent in enumerate(doc.sents if len(doc) else ()):
        ids.extend([number] * len(sent))
    return ids


class _Nearness:
    """The mention pairs of a Doc's fact ends that a window keeps (``DistantLabeler``).

    spans: each end's aligned span (entity IRI or literal key → offsets); taken: the tokens
    spans hold, updated as other mentions are used. Other mentions come from the aligner
    with ``all_mentions``, computed once, when an aligned pair is too far apart.
    """

    def __init__(self, doc: Doc, window: Window, aligner: Aligner, spans: Dict[str, Offsets], taken: List[bool]):
        self.doc, self.window, self.aligner, self.spans, self.taken = doc, window, aligner, spans, taken
        self.sentences = sentence_ids(doc) if window == WINDOW_SENTENCE else None
        self.others: Optional[Dict[str, List[Offsets]]] = None
        self.used: Dict[str, List[Offsets]] = {}  # end → other mentions already used

    def near(self, a: Offsets, b: Offsets) -> bool:
        """Whether two spans are within the window: in one sentence (one may cross a
        boundary), or at most ``window`` tokens between them."""
        if self.sentences is not None:
            s = self.sentences
            return s[a[0]] <= s[b[1] - 1] and s[b[0]] <= s[a[1] - 1]
        return _gap(a, b) <= self.window

    def pair(self, subject: str, obj: str) -> Optional[Tuple[Offsets, Offsets]]:
        """The two ends' aligned spans if near, else their nearest near pair of mentions
        (fewest tokens between, then leftmost), else None."""
        best = self.spans[subject], self.spans[obj]
        if self.near(*best):
            return best
        pairs = [
            (_gap(a, b), a, b)
            for a in self._mentions(subject)
            for b in self._mentions(obj)
            if (a[1] <= b[0] or b[1] <= a[0]) and self.near(a, b)
        ]
        if not pairs:
            return None
        _, a, b = min(pairs)
        for end, span in ((subject, a), (obj, b)):
            if span != self.spans[end] and span not in self.used.get(end, ()):
                self.used.setdefault(end, []).append(span)
                self.taken[span[0] : span[1]] = [True] * (span[1] - span[0])
        return a, b

    def _mentions(self, end: str) -> List[Offsets]:
        """An end's aligned span, the other mentions it already uses, and its mentions in
        free tokens (none for numbers and dates: one span each)."""
        if self.others is None:
            self.others = {}
            for m in self.aligner(self.doc, all_mentions=True):
                self.others.setdefault(m.iri, []).append((m.start, m.end))
        free = [m for m in self.others.get(end, ()) if not any(self.taken[m[0] : m[1]])]
        return [self.spans[end], *self.used.get(end, ()), *free]


def _gap(a: Offsets, b: Offsets) -> int:
    """How many tokens lie between two spans (0 when they touch or overlap)."""
    return max(b[0] - a[1], a[0] - b[1], 0)


def _not_found(subject: bool, obj: bool) -> str:
    """The reason for a fact of which only ``subject``, only ``obj`` or neither end is found."""
    return OBJECT_NOT_FOUND if subject else SUBJECT_NOT_FOUND if obj else NEITHER_FOUND


def _entities(facts: Iterable[Fact], more: Iterable[str] = ()) -> List[str]:
    """The entity IRIs of facts, first seen first: subjects and entity objects, then ``more``."""
    iris: Dict[str, None] = {}
    for fact in facts:
        iris[fact.subject] = None
        if not fact.literal:
            iris[fact.object] = None
    iris.update(dict.fromkeys(more))
    return list(iris)


def _literal_key(obj: str) -> str:
    return f"literal:{obj}"


def _literal_forms(obj: str) -> List[str]:
    """How a string literal may be written: as given, without its quotes, ``_`` as spaces."""
    text = obj.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    forms = [text, text.replace("_", " ")]
    return [f for f in dict.fromkeys(forms) if f.strip()]


def _number(text: str) -> Optional[Decimal]:
    value = parse_number(text.replace("−", "-"))
    return Decimal(value) if value is not None else None


def number_span(doc: Doc, obj: str, taken: List[bool]) -> Optional[Offsets]:
    """The first free token whose number equals the literal's leading number (with a scale
    word after it: "1.2 million"), with as many unit words after it as the literal's unit
    has ("30843.8 (square metres)" → "30,843.8 square meters"); None when there is none."""
    text = obj.strip().strip('"')
    match = LEADING_NUMBER.match(text)
    target = _number(match.group()) if match else None
    if target is None:
        return None
    unit_words = len(text[match.end() :].strip(" ()").split())
    for token in doc:
        if taken[token.i] or not token.text[:1].isdigit() and token.text[:1] not in "-−+":
            continue
        end = token.i + 1
        value = _number(token.text)
        if end < len(doc) and not taken[end]:
            scaled = _number(f"{token.text} {doc[end].text}")
            if scaled is not None and scaled != value:
                value, end = scaled, end + 1
        if value != target:
            continue
        for _ in range(unit_words):
            if end < len(doc) and not taken[end] and _unit_word(doc[end].text):
                end += 1
        return token.i, end
    return None


def _unit_word(text: str) -> bool:
    return text.isalpha() and len(text) <= MAX_UNIT_CHARS or text in ("km²", "m²", "°C", "°F")


def date_span(doc: Doc, obj: str, taken: List[bool], lang: str = "en") -> Optional[Offsets]:
    """The longest free window around a year token, made of date words ("12th", "May",
    ",", "of"), that the normaliser reads as the literal's date (the literal normalised
    the same way: ``1985-05-12``); None when there is none."""
    target = normalize_value(obj.strip().strip('"'), KIND_DATE, lang)
    year = target.lexical[:4]
    if not _YEAR.match(year):
        return None
    for token in doc:
        if token.text != year or taken[token.i]:
            continue
        first, last = token.i, token.i + 1
        while first > 0 and not taken[first - 1] and _date_word(doc[first - 1].text) and token.i - first < MAX_DATE_TOKENS:
            first -= 1
        while last < len(doc) and not taken[last] and _date_word(doc[last].text) and last - token.i < MAX_DATE_TOKENS:
            last += 1
        windows = [(s, e) for s in range(first, token.i + 1) for e in range(token.i + 1, last + 1)]
        for start, end in sorted(windows, key=lambda w: (w[0] - w[1], w[0])):
            window = doc[start:end]
            if window[0].is_punct or window[-1].is_punct:
                continue
            value = normalize_value(window.text, KIND_DATE, lang)
            if (value.lexical, value.datatype) == (target.lexical, target.datatype):
                return start, end
    return None


def _date_word(text: str) -> bool:
    """Whether a token can be part of a written date: a day, a month, "of", "the", ","."""
    lower = text.lower().rstrip(".")
    return bool(_DAY.match(lower)) or lower in _MONTHS or lower in ("of", "the", ",", "-", "/")


class Names(NamedTuple):
    """The entities of a graph a Doc names (``GraphFacts.names``).

    mentioned: named by a form of their own, or by a shared form (one several entities'
        labels give) and related by a fact to an entity named by a form of its own.
    ambiguous: named only by shared forms of which the text named none of the entities
        above (``"Paris"`` alone, for two Parises); not in ``mentioned``.
    """

    mentioned: List[str]
    ambiguous: List[str]


class GraphFacts:
    """An RDF graph read for distant labelling: entity labels, facts by subject, and a
    lookup of entity mentions in a Doc.

    quads: the graph's statements (``kb.build.read_quads``).
    label_predicates: predicate IRIs whose literals are labels (``kb.build``'s defaults).
    languages: label and string-literal languages to keep (untagged ones always); None: all.
    Facts are the triples of an IRI subject with an IRI object (not ``rdf:type``, not a
    label) or a literal object; each predicate is named by its IRI's local name
    (``dbo:birthPlace`` → ``birthPlace``), and ``properties`` maps the names back.
    """

    def __init__(self, quads: Iterable, label_predicates: Iterable[str], languages: Optional[Sequence[str]] = None):
        label_predicates = set(label_predicates)
        keep = {lang.lower() for lang in languages} if languages else None
        self.labels: Dict[str, List[str]] = {}
        self.facts: Dict[str, List[Fact]] = {}
        self.properties: Dict[str, str] = {}
        for s, p, o, _ in quads:
            if not isinstance(s, ox.NamedNode):
                continue
            is_literal = isinstance(o, ox.Literal)
            if is_literal and keep and o.language and o.language.split("-")[0].lower() not in keep:
                continue
            if p.value in label_predicates:
                if is_literal:
                    self.labels.setdefault(s.value, []).append(o.value)
                continue
            if p.value == RDF_TYPE or not (is_literal or isinstance(o, ox.NamedNode)):
                continue
            name = self._name(p.value)
            if is_literal:
                datatype = o.datatype.value if o.datatype else None
                fact = Fact(s.value, name, o.value, True, literal_kind(o.value, datatype))
            else:
                fact = Fact(s.value, name, o.value)
            self.facts.setdefault(s.value, []).append(fact)
        self.forms: Dict[str, set] = {}
        for iri, labels in self.labels.items():
            for label in labels:
                for text in (label, *label_variants(label)):
                    form = normalise(text)
                    if form:
                        self.forms.setdefault(form, set()).add(iri)
        self.max_words = max((len(f.split()) for f in self.forms), default=0)

    def _name(self, iri: str) -> str:
        """The predicate's local name; ``prefix_name`` style when two IRIs share one."""
        name = iri.rstrip("/#")
        name = name[max(name.rfind("/"), name.rfind("#")) + 1 :] or iri
        if self.properties.get(name, iri) != iri:
            name = f"{name}_{len(self.properties)}"
            while self.properties.get(name, iri) != iri:
                name += "_"
        self.properties[name] = iri
        return name

    def mentioned(self, doc: Doc) -> List[str]:
        """The entities one of whose labels (or label variants) a token window of ``doc``
        spells. A form shared by several entities counts only for those that have a fact
        with an unambiguously mentioned entity; otherwise it is left out."""
        return self.names(doc).mentioned

    def names(self, doc: Doc) -> Names:
        """The entities ``doc`` names (``mentioned``), and those it names only ambiguously."""
        words = [normalise(t.text) for t in doc]
        sure, shared = set(), []
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + self.max_words) + 1):
                form = " ".join(w for w in words[start:end] if w)
                iris = self.forms.get(form)
                if iris and len(iris) == 1:
                    sure |= iris
                elif iris:
                    shared.append(iris)
        ambiguous = set().union(*shared)
        related = {f.object for iri in sure for f in self.facts.get(iri, ()) if not f.literal}
        related |= {iri for iri in ambiguous for f in self.facts.get(iri, ()) if f.object in sure}
        mentioned = sure | (ambiguous & related)
        # A shared form one of whose entities is mentioned names that one, not the others.
        unresolved = set().union(*(iris for iris in shared if not iris & mentioned))
        return Names(sorted(mentioned), sorted(unresolved))

    def facts_between(self, iris: Sequence[str]) -> List[Fact]:
        """The facts whose subject is in ``iris`` and whose object is too, or is a literal."""
        present = set(iris)
        return [f for iri in iris for f in self.facts.get(iri, ()) if f.literal or f.object in present]

    def unoffered(self, names: Names) -> Counter:
        """Why the facts looked for in a text that ``facts_between(names.mentioned)`` does
        not offer are not found: reason → facts. Looked for: the facts whose subject is
        named (in ``mentioned`` or ``ambiguous``). ``OBJECT_NOT_FOUND`` when the object
        entity is not named at all; else ``AMBIGUOUS_LABEL``: both ends are named (or the
        object is a literal), and only an ambiguous name kept the fact out."""
        mentioned = set(names.mentioned)
        named = mentioned | set(names.ambiguous)
        reasons: Counter = Counter()
        for iri in (*names.mentioned, *names.ambiguous):
            for fact in self.facts.get(iri, ()):
                if iri in mentioned and (fact.literal or fact.object in mentioned):
                    continue  # offered
                reasons[AMBIGUOUS_LABEL if fact.literal or fact.object in named else OBJECT_NOT_FOUND] += 1
        return reasons


def label_texts(
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
    window: Window = WINDOW_DOC,
) -> DistantReport:
    """Distant-label the texts of ``inputs`` with the graph of ``kg`` into ``output``
    (``kgx distant-label``): train.spacy, dev.spacy and report.json.

    A document goes to dev when a hash of its id (its text when it has none) falls in
    ``dev_fraction``, so the split does not depend on the input order. The report also
    holds ``properties`` (relation/attribute name → predicate IRI, for ``kgx_rdf``'s
    ``properties``/``attributes``) and ``value_kinds`` (for ``kgx_attribute_tagger``).
    ``window``: see ``DistantLabeler``; ``"sentence"`` adds spaCy's rule-based
    ``sentencizer`` to the blank pipeline. The report's ``missed`` says why each fact
    looked for (see the module docstring) was not found.
    Every file is read before anything is written; outputs are written atomically.
    """
    install_extensions()
    window = parse_window(window)
    predicates = parse_label_predicates(label_predicates) if label_predicates else DEFAULT_LABEL_PREDICATES
    quads = (quad for path in kg for quad in read_quads(path))
    graph = GraphFacts(quads, predicates, label_lang)
    nlp = spacy.blank(lang)
    if window == WINDOW_SENTENCE:
        nlp.add_pipe("sentencizer")
    labeler = DistantLabeler(entity_label, lang=lang, window=window)
    sources = input_files(inputs, exclude={(output / name).resolve() for name in ("train.spacy", "dev.spacy")})
    report = DistantReport("distant-label", "all", [str(s) for s, _ in sources])
    splits = {"train": [], "dev": []}
    for text, doc_id in TextReader(id_field, text_field).read(sources):
        doc = nlp(text)
        if doc_id is not None:
            doc._.set(DOC_ID, doc_id)
        names = graph.names(doc)
        facts = graph.facts_between(names.mentioned)
        aligned = report.aligned_facts
        labeler(doc, facts, graph.labels, report, entities=names.mentioned)
        unoffered = graph.unoffered(names)
        report.unoffered_facts += sum(unoffered.values())
        report.missed.update(unoffered)
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
