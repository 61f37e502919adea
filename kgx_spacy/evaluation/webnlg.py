"""The official WebNLG+ 2020 Text-to-RDF ("semantic parsing") evaluation, without its dependencies.

A reimplementation of ``Evaluation_script.py`` from github.com/WebNLG/WebNLG-Text-to-triples,
as copied into github.com/WebNLG/challenge-2020 for the challenge (it pins nltk 3.4.5 and
nervaluate 0.1.7, whose parts in use are reimplemented here). Triples are scored element by
element (subject, predicate, object) after this normalisation of each element: camelCase
split (``cityServed`` → ``city Served``), lower case, ``_`` → space, runs of white space →
one space, and on the object only a trailing parenthetical dropped (``17068.8 (millimetres)``
→ ``17068.8``). Each element is then cut into nltk's Treebank words; the reference drops
words made only of punctuation, the candidate only one-character punctuation words.

One candidate element is aligned with its reference element word by word, longest shared
n-gram first; candidate words next to the aligned block (before it, when the block starts
the reference; after it, when it ends the reference) widen it, other words are spurious
blocks. When two elements share no word with their references (subject and object first,
then subject and predicate, then predicate and object), the script compares them crossed,
without any word that holds punctuation. The blocks are then scored like named entities
(SemEval-2013 task 9.1, via nervaluate):

- ``exact``: the candidate element covers exactly the reference element's words, whatever
  its slot (a subject given as the object, found by the crossed comparison, counts);
- ``strict``: exact, and in the same slot;
- ``partial``: exact counts 1, an overlapping element 1/2, slot ignored;
- ``ent_type``: overlapping or exact, and in the same slot, counts 1.

Each (candidate triple, reference triple) pair gets precision, recall and F1 per category.
Within one text, the shorter of the candidate and reference lists is padded with empty
triples (which score 0) and candidates are paired one-to-one with references so that the
sum over pairs of the mean F1 of the four categories is largest; of equally good pairings
the script keeps the first in ``itertools.permutations`` order. The totals are *macro*
averages: the mean, over every chosen pair of every text (``max(#candidates,
#references)`` pairs per text), of the pairs' precisions, recalls and F1s, so F1 is not
the harmonic mean of the totals' precision and recall.

References: the script reads the first ``<modifiedtripleset>`` of each ``<entry>`` and pairs
the n-th candidate entry with the n-th reference entry; there is no best-of-several
references. The semantic-parsing test file has one text per entry (2,155 English texts;
lexicalisations of one triple set are separate entries repeating the set), so pass for each
text its entry's modified triple set, repeated for every text of a multi-text entry.

Kept although surprising, as the official figures include them: a quoted object written
identically (``"Aarhus, Denmark"``) is only partially matched, as the candidate keeps the
two-character quote tokens (``` `` ``, ``''``) that the reference drops; overlap is tested
on ``[start, end)`` of inclusive spans (nervaluate 0.1.7), so a one-word element is matched
exactly or not at all; once a crossed subject/object is found, the predicate is scored as a
copy of the crossed object's comparison, whatever the predicates are.

Deviations: (1) the pairing is the Hungarian algorithm plus a walk over its tight edges
for the first optimal pairing, O(n⁴), where the script enumerates all n! permutations
(12! ≈ 4.8e8 for a text with 12 candidates); ties are sums equal within 1e-9, where the
script compares float sums exactly; (2) each element is tokenised as one sentence, without
the script's punkt sentence split, which only matters for an element with a sentence-like
period inside that differs from its counterpart there; (3) where the script crashes, this
goes on: a candidate n-gram that recurs after its words were aligned is skipped (as in
IBM's ReGen patch of the script), elements are normalised one by one (the script joins and
re-splits them on `` | ``, which fails for an empty element or one containing it), and a
text with neither candidates nor references is skipped.
"""

import re
import string
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path
from statistics import mean
from typing import Dict, List, Optional, Sequence, Tuple

from ..errors import KgxInputError

Triple = Tuple[str, str, str]  # as WebNLG writes it: ("Aarhus_Airport", "cityServed", '"Aarhus"')
Span = Tuple[str, int, int]  # (slot label, first index, last index)
# One element's comparison: (aligned any word?, reference spans, candidate spans, width, the
# number of positions its layout takes, from which the next element's positions start).
Side = Tuple[bool, List[Span], List[Span], int]

SCHEMES = ("exact", "partial", "strict", "ent_type")
SLOTS = ("SUB", "PRED", "OBJ")
_EPS = 1e-9
_NOTHING = {scheme: (0.0, 0.0, 0.0) for scheme in SCHEMES}  # a padding triple aligns no word
_PUNCT = set(string.punctuation)
_GROUP = re.compile(r"^((.*?)-\d+)")
_PARENTHETICAL = re.compile(r"^(.*?)(\s\((.*?)\))$")

# nltk 3.4.5 word_tokenize: TreebankWordTokenizer with the "improved" rules nltk inserts.
_STARTING_QUOTES = [
    (r"([«“‘„]|[`]+)", r" \1 "), (r'^"', r"``"), (r"(``)", r" \1 "),
    (r"([ \(\[{<])(\"|\'{2})", r"\1 `` "), (r"(?i)(\')(?!re|ve|ll|m|t|s|d)(\w)\b", r"\1 \2"),
]
_PUNCTUATION = [
    (r"([^\.])(\.)([\]\)}>\"\'»”’ ]*)\s*$", r"\1 \2 \3 "), (r"([:,])([^\d])", r" \1 \2"),
    (r"([:,])$", r" \1 "), (r"\.\.\.", r" ... "), (r"[;@#$%&]", r" \g<0> "),
    (r"([^\.])(\.)([\]\)}>\"\']*)\s*$", r"\1 \2\3 "), (r"[?!]", r" \g<0> "),
    (r"([^'])' ", r"\1 ' "), (r"[\]\[\(\)\{\}\<\>]", r" \g<0> "), (r"--", r" -- "),
]
_ENDING_QUOTES = [
    (r"([»”’])", r" \1 "), (r'"', " '' "), (r"(\S)(\'\')", r"\1 \2 "),
    (r"([^' ])('[sS]|'[mM]|'[dD]|') ", r"\1 \2 "),
    (r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", r"\1 \2 "),
    (r"(?i)\b(can)(not)\b", r" \1 \2 "), (r"(?i)\b(d)('ye)\b", r" \1 \2 "),
    (r"(?i)\b(gim)(me)\b", r" \1 \2 "), (r"(?i)\b(gon)(na)\b", r" \1 \2 "),
    (r"(?i)\b(got)(ta)\b", r" \1 \2 "), (r"(?i)\b(lem)(me)\b", r" \1 \2 "),
    (r"(?i)\b(mor)('n)\b", r" \1 \2 "), (r"(?i)\b(wan)(na)\s", r" \1 \2 "),
    (r"(?i) ('t)(is)\b", r" \1 \2 "), (r"(?i) ('t)(was)\b", r" \1 \2 "),
]
_BEFORE = [(re.compile(p), r) for p, r in _STARTING_QUOTES + _PUNCTUATION]  # then pad with spaces
_AFTER = [(re.compile(p), r) for p, r in _ENDING_QUOTES]
_DROP = {
    "all": lambda word: all(ch in _PUNCT for ch in word),
    "one": lambda word: word in _PUNCT,
    "any": lambda word: any(ch in _PUNCT for ch in word),
}


def score(
    candidates: Sequence[Sequence[Triple]], references: Sequence[Sequence[Triple]]
) -> Dict[str, float]:
    """The script's totals for candidate and reference triples, one list of each per text.

    RETURNS: ``triples_{p,r,f1}_{exact,partial,strict,ent_type}`` and the counts ``texts``,
    ``candidate_triples``, ``reference_triples``.
    """
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} candidate lists for {len(references)} texts")
    chosen: List[Dict[str, Tuple[float, float, float]]] = []
    for cands, refs in zip(candidates, references):
        size = max(len(cands), len(refs))
        cand_rows = [_normalise(t) for t in cands] + [None] * (size - len(cands))
        ref_rows = [_normalise(t) for t in refs] + [None] * (size - len(refs))
        pairs = [[_pair(r, c) if r and c else _NOTHING for r in ref_rows] for c in cand_rows]
        weights = [[sum(f for _, _, f in p.values()) / len(p) for p in row] for row in pairs]
        chosen += [pairs[i][j] for i, j in enumerate(_first_best_pairing(weights))]
    result: Dict[str, float] = {}
    for scheme in SCHEMES:
        for k, name in enumerate(("p", "r", "f1")):
            values = [p[scheme][k] for p in chosen]
            result[f"triples_{name}_{scheme}"] = mean(values) if values else 0.0
    result["texts"] = len(references)
    result["candidate_triples"] = sum(len(c) for c in candidates)
    result["reference_triples"] = sum(len(r) for r in references)
    return result


_BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);)")


def read_triple_sets(path: Path) -> List[List[Triple]]:
    """A system's output in the challenge's format, one triple list per ``<entry>`` in order:
    ``<benchmark><entries><entry><generatedtripleset><gtriple>S | p | O</gtriple>…``.

    A bare ``&`` (two of the published submissions hold one, e.g. ``College_of_William_&_Mary``)
    is read as the character. RAISES KgxInputError: the file is not such XML, or a
    ``<gtriple>`` is not three elements.
    """
    text = _BARE_AMPERSAND.sub("&amp;", Path(path).read_text(encoding="utf-8"))
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        raise KgxInputError(path, f"not valid XML ({err})", line=err.position[0]) from None
    sets = []
    for number, entry in enumerate(root.iter("entry"), start=1):
        triples = []
        for element in entry.iter("gtriple"):
            parts = [part.strip() for part in (element.text or "").split(" | ")]
            if len(parts) != 3:
                raise KgxInputError(path, f"<gtriple> {element.text!r} is not 'S | p | O'", where=f"entry {number}")
            triples.append(tuple(parts))
        sets.append(triples)
    return sets


def _normalise(triple: Triple) -> Tuple[str, str, str]:
    """The script's string normalisation of a triple, element by element."""
    s, p, o = (re.sub(r"\s+", " ", re.sub(r"([a-z])([A-Z])", r"\1 \2", e).lower().replace("_", " "))
               for e in triple)
    bare = _PARENTHETICAL.search(o)
    return s, p, bare.group(1) if bare else o


def _pair(ref: Triple, cand: Triple) -> Dict[str, Tuple[float, float, float]]:
    """(precision, recall, F1) per category of one normalised candidate against one reference.

    The script's ``evaluaterefcand``.
    """
    sides: List[Side] = []
    for i, slot in enumerate(SLOTS):
        r, c = _aligned(ref[i], cand[i], "all", "one")
        sides.append(_blocks(r, c, slot, slot, sum(s[3] for s in sides)))
    found = [s[0] for s in sides]
    crossed = False
    if not found[0] and not found[2]:
        r, c = _aligned(ref[0], cand[2], "any", "any")
        sub = _blocks(r, c, "SUB", "OBJ", 0)
        r, c = _aligned(ref[2], cand[0], "any", "any")
        obj = _blocks(r, c, "OBJ", "SUB", sub[3] + sides[1][3])
        if sub[0] or obj[0]:
            sides = [sub, _blocks(r, c, "PRED", "PRED", sub[3]), obj]
            crossed = True
    if not found[0] and not found[1] and not crossed:
        r, c = _aligned(ref[0], cand[1], "any", "any")
        sub = _blocks(r, c, "SUB", "PRED", 0)
        r, c = _aligned(ref[1], cand[0], "any", "any")
        pred = _blocks(r, c, "PRED", "SUB", sub[3])
        if sub[0] or pred[0]:
            sides[:2] = [sub, pred]
            crossed = True
    if not found[1] and not found[2] and not crossed:
        r, c = _aligned(ref[1], cand[2], "any", "any")
        pred = _blocks(r, c, "PRED", "OBJ", sides[0][3])
        r, c = _aligned(ref[2], cand[1], "any", "any")
        obj = _blocks(r, c, "OBJ", "PRED", sides[0][3] + pred[3])
        if pred[0] or obj[0]:
            sides[1:] = [pred, obj]
    return _semeval([t for s in sides for t in s[1]], [t for s in sides for t in s[2]])


@lru_cache(maxsize=1 << 16)
def _words(text: str, drop: str) -> Tuple[str, ...]:
    """nltk 3.4.5 ``word_tokenize(text, preserve_line=True)``, lower-cased, minus punctuation.

    drop: ``all`` words made only of punctuation, ``one`` one-character punctuation words,
        ``any`` words with a punctuation character.
    """
    for regex, sub in _BEFORE:
        text = regex.sub(sub, text)
    text = f" {text} "
    for regex, sub in _AFTER:
        text = regex.sub(sub, text)
    return tuple(w.lower() for w in text.split() if not _DROP[drop](w))


def _aligned(ref: str, cand: str, ref_drop: str, cand_drop: str) -> Tuple[List[str], List[str]]:
    """Both elements' words, the shared n-grams replaced by the script's FOUND markers."""
    r, c = list(_words(ref, ref_drop)), list(_words(cand, cand_drop))
    _link(r, c, 1, len(c))
    return r, c


def _link(ref: List[str], cand: List[str], found: int, size: int) -> None:
    """The script's ``nonrefwords``: mark shared n-grams, longest first, recursing after each.

    An aligned reference word i becomes ``FOUNDREF-<n>-<i>``, its candidate word
    ``FOUNDCAND-<n>-<i>``. As in the script, n-grams are those of ``cand`` when a length's
    round starts, and a caller goes on counting n from where it was before recursing, so
    numbers can repeat (and ``_blocks`` then joins adjacent blocks of one number).
    """
    while size > 0:
        for gram in [cand[k:k + size] for k in range(len(cand) - size + 1)]:
            r = _find(gram, ref)
            if r is None:
                continue
            for k in range(size):
                ref[r + k] = f"FOUNDREF-{found}-{r + k}"
            c = _find(gram, cand)
            if c is None:  # the script crashes here; IBM's ReGen patch skips, as this does
                continue
            for k in range(size):
                cand[c + k] = f"FOUNDCAND-{found}-{r + k}"
            found += 1
            _link(ref, cand, found, size)
        size -= 1


def _find(gram: List[str], words: List[str]) -> Optional[int]:
    """Where ``gram`` first occurs in ``words``."""
    size = len(gram)
    starts = (k for k, w in enumerate(words) if w == gram[0] and words[k:k + size] == gram)
    return next(starts, None)


def _blocks(ref: List[str], cand: List[str], ref_slot: str, cand_slot: str, base: int) -> Side:
    """The script's ``getrefdict``: reference and candidate spans of one element from ``base``.

    Lays out the candidate words linked before the reference, the reference, those linked
    after it and the unaligned blocks, in that order; ``width`` is that layout's length. Marks
    the linked candidate words in ``cand`` (``FOUNDCAND-<n>-LINKED``), as the script reuses it.
    """
    marked = [k for k, w in enumerate(cand) if w.startswith("FOUNDCAND")]
    if not marked:
        if not ref:
            return False, [], [(cand_slot, base, base + len(cand) - 1)], len(cand)
        if not cand:  # the script's width here is 1, not len(ref)
            return False, [(ref_slot, base, base + len(ref) - 1)], [], 1
        width = len(ref) + len(cand)
        ref_span = (ref_slot, base, base + len(ref) - 1)
        return False, [ref_span], [(cand_slot, base + len(ref), base + width - 1)], width
    first, last = marked[0], marked[-1]
    head = _GROUP.match(cand[first]).group(1) if cand[first].endswith("-0") else None
    tail = None
    if ref[-1].startswith("FOUNDREF") and not cand[-1].startswith("FOUNDCAND"):
        if cand[last] == ref[-1].replace("FOUNDREF", "FOUNDCAND"):
            tail = _GROUP.match(cand[last]).group(1)
    before: List[str] = []
    after: List[str] = []
    unaligned: List[str] = []
    block = 1
    for k, word in enumerate(cand):
        if word.startswith("FOUNDCAND"):
            block += 1
        elif head and k < first:
            cand[k] = head + "-LINKED"
            before.append(cand[k])
        elif tail and k > last:
            cand[k] = tail + "-LINKED"
            after.append(cand[k])
        else:
            unaligned.append(f"NOTFOUND-{block}")
    layout = [w.replace("FOUNDREF", "FOUNDCAND") for w in before + ref + after + unaligned]
    spans: List[Span] = []
    current, begin, collecting = "", 0, False
    for k, word in enumerate(layout):
        if word.startswith(("FOUNDCAND", "NOTFOUND")):
            collecting = True
            group = _GROUP.match(word).group(1)
            if group != current:
                if current:
                    spans.append((cand_slot, base + begin, base + k - 1))
                current, begin = group, k
            if k == len(layout) - 1:
                spans.append((cand_slot, base + begin, base + k))
        elif collecting:  # an unaligned reference word: the script ends the open block (again)
            spans.append((cand_slot, base + begin, base + k - 1))
    ref_span = (ref_slot, base + len(before), base + len(before) + len(ref) - 1)
    return True, [ref_span], spans, len(layout)


def _semeval(true: List[Span], pred: List[Span]) -> Dict[str, Tuple[float, float, float]]:
    """nervaluate 0.1.7 on one pair's spans: (precision, recall, F1) per category."""
    outcomes = []  # per predicted or missed span: what it counts as in each of SCHEMES
    matched: List[Span] = []
    for p in pred:
        if p in true:
            matched.append(p)
            outcomes.append(("correct",) * 4)
            continue
        for t in true:
            if t[1:] == p[1:]:  # same boundaries, other slot
                matched.append(t)
                outcomes.append(("correct", "correct", "incorrect", "incorrect"))
                break
            if max(t[1], p[1]) < min(t[2], p[2]):  # range(start, end) overlap, end excluded
                matched.append(t)
                same = "correct" if t[0] == p[0] else "incorrect"
                outcomes.append(("incorrect", "partial", "incorrect", same))
                break
        else:
            outcomes.append(("spurious",) * 4)
    outcomes += [("missed",) * 4 for t in true if t not in matched]
    scores = {}
    for k, scheme in enumerate(SCHEMES):
        counts = [o[k] for o in outcomes]
        hits = counts.count("correct") + 0.5 * counts.count("partial")
        actual = len(counts) - counts.count("missed")
        possible = len(counts) - counts.count("spurious")
        p = hits / actual if actual else 0.0
        r = hits / possible if possible else 0.0
        scores[scheme] = (p, r, 2 * p * r / (p + r) if p + r else 0.0)
    return scores


def _first_best_pairing(weights: List[List[float]]) -> List[int]:
    """The reference for each candidate: the first permutation, in itertools order, of largest sum.

    Every optimal pairing uses only edges that the Hungarian algorithm's final potentials
    make tight, and every perfect pairing on tight edges is optimal; so walk the candidates
    in order, giving each the lowest tight reference that leaves the others a tight pairing.
    """
    n = len(weights)
    if n == 0:
        return []
    u, v, ref_of = _hungarian([[-w for w in row] for row in weights])
    tight = [[j for j in range(n) if u[i] + v[j] + weights[i][j] >= -_EPS] for i in range(n)]
    cand_of = [0] * n
    for i, j in enumerate(ref_of):
        cand_of[j] = i

    def reroute(row: int, free: int, taken: int, fixed: int, seen: set) -> bool:
        """Give ``row`` another tight reference: ``free`` or one whose candidate can move on."""
        for j in tight[row]:
            if j == taken or j in seen or (j != free and cand_of[j] <= fixed):
                continue
            seen.add(j)
            if j == free or reroute(cand_of[j], free, taken, fixed, seen):
                ref_of[row], cand_of[j] = j, row
                return True
        return False

    for i in range(n):
        for j in tight[i]:
            if j == ref_of[i]:
                break
            if cand_of[j] > i and reroute(cand_of[j], ref_of[i], j, i, set()):
                ref_of[i], cand_of[j] = j, i
                break
    return ref_of


def _hungarian(cost: List[List[float]]) -> Tuple[List[float], List[float], List[int]]:
    """Minimum-cost assignment of a square matrix: row and column potentials, column per row.

    ``u[i] + v[j] <= cost[i][j]`` throughout, with equality on the assignment.
    """
    n = len(cost)
    u, v = [0.0] * (n + 1), [0.0] * (n + 1)
    row_at = [0] * (n + 1)  # column j (1-based) → its row (1-based), 0: none
    way = [0] * (n + 1)
    for i in range(1, n + 1):
        row_at[0], j0 = i, 0
        least, used = [float("inf")] * (n + 1), [False] * (n + 1)
        while row_at[j0]:
            used[j0] = True
            i0, delta, j1 = row_at[j0], float("inf"), 0
            for j in range(1, n + 1):
                if not used[j]:
                    gap = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if gap < least[j]:
                        least[j], way[j] = gap, j0
                    if least[j] < delta:
                        delta, j1 = least[j], j
            for j in range(n + 1):
                if used[j]:
                    u[row_at[j]] += delta
                    v[j] -= delta
                else:
                    least[j] -= delta
            j0 = j1
        while j0:
            j1 = way[j0]
            row_at[j0] = row_at[j1]
            j0 = j1
    ref_of = [0] * n
    for j in range(1, n + 1):
        ref_of[row_at[j] - 1] = j - 1
    return u[1:], v[1:], ref_of
