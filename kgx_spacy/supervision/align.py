"""Entity-to-text alignment: find where known entities are mentioned in a tokenised Doc.

Each entity has an IRI and one or more labels. A mention is a token span whose text
matches a *form* of an entity, compared after ``kgx_spacy.kb.normalise`` on both sides
(case, accents and punctuation do not matter):

- ``exact``: one of the entity's labels, as written or as spaCy tokenises it ("Vermont's"
  → "Vermont 's"), "&" also as "and" (see ``spellings``);
- ``variant``: a label shortened by ``label_variants`` ("Turn Me On (album)" → "Turn Me
  On", "Anaheim, California" → "Anaheim", "Danish language" → "Danish"), or the
  acronym of a name of capitalised words ("United States" → "US", "U.S."), which must be
  written in capitals;
- ``fuzzy``: a window of up to a form's length + ``max_extra_tokens`` tokens whose
  character-trigram Dice similarity to a form is at least ``threshold`` (typos, plurals),
  and whose words follow the form's in order (see ``in_order``).

Spans never overlap. Exact and variant matches are placed first, longest first (then
exact before variant, leftmost, smallest IRI); fuzzy matches go in the gaps left, most
similar first (then longest, leftmost, smallest IRI). Each entity gets its best span only,
unless ``all_mentions``: then every non-overlapping occurrence. Deterministic: the result
depends on the Doc, the entities' IRIs and labels and the settings, not on their order.
"""

import re
from collections import defaultdict
from functools import lru_cache
from typing import (
    Dict,
    FrozenSet,
    Iterable,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from spacy.tokens import Doc

from ..kb import normalise

EXACT, VARIANT, FUZZY = "exact", "variant", "fuzzy"
# Last words that name what kind of thing a label is, not which one ("Danish language").
SUFFIX_WORDS = ("language", "languages", "people")
_PARENTHETICAL = re.compile(r"\s*\([^()]*\)\s*$")
_IN_PLACE = re.compile(r"(?<=\S)\s+in\s+(?:the\s+)?[A-Z][^,()]*$")
MIN_VARIANT_CHARS = 3  # shorter variants ("It (novel)" → "It") match common words
MIN_WORD_SIMILARITY = 0.5  # a window word "is" a form word at this trigram Dice or more
_POSSESSIVE = re.compile(r"(?<=\w)(['’]s)\b")
_FUNCTION_WORDS = frozenset("of the and for in on at de del della di du la le und &".split())


class EntityLabels(NamedTuple):
    """An entity to align: its IRI and its surface labels (a string or several)."""

    iri: str
    labels: Union[str, Sequence[str]]


class Alignment(NamedTuple):
    """A mention of an entity: tokens ``[start, end)`` of the Doc.

    score: trigram Dice similarity of the normalised span and the form it matched: 1.0
        for ``exact`` and ``variant`` matches, at least the threshold for ``fuzzy`` ones.
    kind: ``"exact"``, ``"variant"`` or ``"fuzzy"``.
    """

    start: int
    end: int
    iri: str
    score: float
    kind: str


@lru_cache(maxsize=100_000)
def label_variants(label: str, suffix_words: Tuple[str, ...] = SUFFIX_WORDS) -> Tuple[str, ...]:
    """Shorter names for ``label``, not including it, in the order they are derived.

    Rules, applied to each other's results too: drop a trailing parenthetical ("Turn Me
    On (album)" → "Turn Me On"); keep what is before the first comma ("Anaheim,
    California" → "Anaheim"); drop a trailing "in" and a capitalised name ("Native
    Americans in the United States" → "Native Americans"); drop a last word of
    ``suffix_words`` ("Danish language" → "Danish"); drop a leading "The". Variants whose
    normalised form is shorter than MIN_VARIANT_CHARS or the same as the label's are left
    out.
    """
    suffixes = {w.lower() for w in suffix_words}
    found: Dict[str, None] = {}
    todo, seen = [label.strip()], {label.strip()}
    while todo:
        text = todo.pop(0)
        words = text.split()
        shorter = [
            _PARENTHETICAL.sub("", text), text.split(",")[0].strip(), _IN_PLACE.sub("", text)
        ]
        if len(words) > 1 and words[-1].lower() in suffixes:
            shorter.append(" ".join(words[:-1]))
        if len(words) > 1 and words[0].lower() == "the":
            shorter.append(" ".join(words[1:]))
        for variant in shorter:
            if variant and variant not in seen:
                seen.add(variant)
                todo.append(variant)
                found[variant] = None
    key = normalise(label)
    return tuple(
        v for v in found if len(normalise(v)) >= MIN_VARIANT_CHARS and normalise(v) != key
    )


def spellings(text: str) -> List[str]:
    """``text`` and the other ways it is written or tokenised: "'s" split off as spaCy
    does ("Vermont's" → "Vermont 's"), "&" as "and"."""
    found = dict.fromkeys([text, _POSSESSIVE.sub(r" \1", text)])
    for spelling in list(found):
        found[spelling.replace("&", " and ")] = None
    return list(found)


def acronym(label: str) -> Optional[str]:
    """The capitals of a name of two or more capitalised words, function words left out
    ("United States of America" → "USA"); None for other names."""
    name = _PARENTHETICAL.sub("", label).split(",")[0]
    words = [w for w in re.split(r"[\s\-]+", name) if w and w.lower() not in _FUNCTION_WORDS]
    if len(words) < 2 or not all("A" <= w[0] <= "Z" for w in words):
        return None
    return "".join(w[0] for w in words)


def in_order(window: str, form: str) -> bool:
    """Whether a window's words follow a form's: going left to right, each window word
    that is like a later form word (trigram Dice ≥ MIN_WORD_SIMILARITY) takes the most
    like of them; the first and last window words must be like one. Rejects windows that
    only share words with the form ("club is Shabab Al-Ordon" for "Shabab Al-Ordon Club")."""
    form_grams = [trigrams(word) for word in form.split()]
    words = window.split()
    last = -1
    for i, word in enumerate(words):
        grams = trigrams(word)
        score, position = max(
            ((dice(grams, other), -j) for j, other in enumerate(form_grams) if j > last),
            default=(0.0, 0),
        )
        if score >= MIN_WORD_SIMILARITY:
            last = -position
        elif i in (0, len(words) - 1):
            return False
    return True


def trigrams(text: str) -> FrozenSet[str]:
    """The distinct character trigrams of `` text `` (padded with a space each side)."""
    padded = f" {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def dice(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    """Dice coefficient of two trigram sets, ``2 |a ∩ b| / (|a| + |b|)``."""
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 1.0


class _Text:
    """A Doc's normalised text: the non-empty normalised tokens joined by single spaces.

    tokens: the Doc index of each non-empty token, in order.
    starts, ends: each of those tokens' character offsets in ``text``.
    """

    def __init__(self, doc: Doc):
        self.doc = doc
        parts, self.tokens, self.starts, self.ends = [], [], [], []
        offset = 0
        for token in doc:
            norm = normalise(token.text)
            if norm:
                self.tokens.append(token.i)
                self.starts.append(offset)
                self.ends.append(offset + len(norm))
                parts.append(norm)
                offset += len(norm) + 1
        self.text = " ".join(parts)

    def window(self, a: int, b: int) -> str:
        """The normalised text of non-empty tokens ``a`` to ``b``, inclusive."""
        return self.text[self.starts[a] : self.ends[b]]

    def span(self, a: int, b: int) -> Tuple[int, int]:
        """The Doc tokens ``[start, end)`` of non-empty tokens ``a`` to ``b``, with the
        closing bracket after them if they open one ("Ardmore Airport (New Zealand)")."""
        start, end = self.tokens[a], self.tokens[b] + 1
        opened = self.doc[start:end].text.count("(") - self.doc[start:end].text.count(")")
        if opened > 0 and end < len(self.doc) and self.doc[end].text == ")":
            end += 1
        return start, end


class Aligner:
    """Aligns a fixed set of entities to Docs; build it once, call it on many Docs.

    entities: ``EntityLabels`` or ``(iri, labels)`` pairs; an IRI given twice has the
        union of its labels.
    threshold: the least trigram Dice similarity of a fuzzy match, in (0, 1].
    max_extra_tokens: how many tokens a fuzzy window may have beyond its form's words.
    fuzzy: look for fuzzy matches at all.
    acronyms: match the acronyms of the labels (as variants).
    suffix_words: last words ``label_variants`` drops.
    """

    def __init__(
        self,
        entities: Iterable[Union[EntityLabels, Tuple[str, Union[str, Sequence[str]]]]],
        threshold: float = 0.75,
        max_extra_tokens: int = 2,
        fuzzy: bool = True,
        acronyms: bool = True,
        suffix_words: Sequence[str] = SUFFIX_WORDS,
    ):
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        if max_extra_tokens < 0:
            raise ValueError(f"max_extra_tokens must be at least 0, got {max_extra_tokens}")
        self.threshold = threshold
        self.max_extra_tokens = max_extra_tokens
        self.fuzzy = fuzzy
        labels: Dict[str, Dict[str, None]] = {}
        for iri, names in entities:
            names = [names] if isinstance(names, str) else names
            labels.setdefault(iri, {}).update(dict.fromkeys(names))
        self.iris = sorted(labels)
        # normalised form → {iri: kind}, and acronym → {iri: kind}; exact wins over variant.
        self.forms: Dict[str, Dict[str, str]] = defaultdict(dict)
        self.acronyms: Dict[str, Dict[str, str]] = defaultdict(dict)
        for iri in self.iris:
            for label in labels[iri]:
                self._add(spellings(label), iri, EXACT)
            for label in labels[iri]:
                for variant in label_variants(label, tuple(suffix_words)):
                    self._add(spellings(variant), iri, VARIANT)
                short = acronym(label) if acronyms else None
                if short:
                    self.acronyms[short].setdefault(iri, VARIANT)
        self.max_words = max((len(f.split()) for f in self.forms), default=0)
        self.form_grams = {form: trigrams(form) for form in self.forms}
        self.postings: Dict[str, List[str]] = defaultdict(list)  # trigram → forms
        for form in sorted(self.forms):
            for gram in self.form_grams[form]:
                self.postings[gram].append(form)

    def _add(self, texts: Iterable[str], iri: str, kind: str) -> None:
        for text in texts:
            form = normalise(text)
            if form:
                self.forms[form].setdefault(iri, kind)

    def __call__(self, doc: Doc, all_mentions: bool = False) -> List[Alignment]:
        """Non-overlapping mentions of the entities in ``doc``, by start.

        all_mentions: every non-overlapping occurrence of each entity, not only its best.
        """
        text = _Text(doc)
        taken = [False] * len(doc)
        chosen: List[Alignment] = []
        aligned = set()

        def place(candidates: List[Tuple[tuple, Alignment]]) -> None:
            for _, found in sorted(candidates):
                free = not any(taken[found.start : found.end])
                if free and (all_mentions or found.iri not in aligned):
                    taken[found.start : found.end] = [True] * (found.end - found.start)
                    aligned.add(found.iri)
                    chosen.append(found)

        place(self._exact(doc, text))
        if self.fuzzy:
            place(self._fuzzy(text, taken, None if all_mentions else aligned))
        return sorted(chosen)

    def _exact(self, doc: Doc, text: _Text) -> List[Tuple[tuple, Alignment]]:
        """Exact, variant and acronym matches with their sort keys: longest, exact,
        leftmost, IRI."""
        spans = []
        n = len(text.tokens)
        for a in range(n):
            for b in range(a, min(a + self.max_words, n)):
                for iri, kind in self.forms.get(text.window(a, b), {}).items():
                    spans.append((*text.span(a, b), iri, kind))
        if self.acronyms:
            for token in doc:  # in capitals, as the acronyms are: "US", "U.S.", not "us"
                for iri, kind in self.acronyms.get(token.text.replace(".", ""), {}).items():
                    spans.append((token.i, token.i + 1, iri, kind))
        return [
            ((-(end - start), kind != EXACT, start, iri), Alignment(start, end, iri, 1.0, kind))
            for start, end, iri, kind in spans
        ]

    def _fuzzy(self, text: _Text, taken: List[bool], aligned) -> List[Tuple[tuple, Alignment]]:
        """Fuzzy matches in free tokens, for the entities not in ``aligned`` (None: all),
        with their sort keys: most similar, longest, leftmost, IRI."""
        best: Dict[Tuple[int, int, str], float] = {}
        if aligned is not None and len(aligned) == len(self.iris):
            return []
        n = len(text.tokens)
        longest = self.max_words + self.max_extra_tokens
        for a in range(n):
            for b in range(a, min(a + longest, n)):
                if taken[text.tokens[b]]:
                    break
                window = text.window(a, b)
                grams = trigrams(window)
                shared: Dict[str, int] = defaultdict(int)
                for gram in grams:
                    for form in self.postings.get(gram, ()):
                        shared[form] += 1
                size = b - a + 1
                for form, count in shared.items():
                    score = 2 * count / (len(grams) + len(self.form_grams[form]))
                    if (
                        score < self.threshold
                        or size > len(form.split()) + self.max_extra_tokens
                        or not in_order(window, form)
                    ):
                        continue
                    for iri in self.forms[form]:
                        if aligned is None or iri not in aligned:
                            span = (*text.span(a, b), iri)
                            best[span] = max(score, best.get(span, 0.0))
        return [
            ((-score, -(end - start), start, iri), Alignment(start, end, iri, score, FUZZY))
            for (start, end, iri), score in best.items()
        ]


def align(
    doc: Doc,
    entities: Iterable[Union[EntityLabels, Tuple[str, Union[str, Sequence[str]]]]],
    all_mentions: bool = False,
    **settings,
) -> List[Alignment]:
    """The non-overlapping mentions of ``entities`` in ``doc``, by start (see ``Aligner``
    for the settings: threshold, max_extra_tokens, fuzzy, acronyms, suffix_words)."""
    return Aligner(entities, **settings)(doc, all_mentions)
