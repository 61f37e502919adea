"""Alias index: normalised exact lookup and fuzzy character-trigram lookup, top-k with priors.

Every alias is a *normalised* string (see ``normalise``). Exact lookup hashes it (a stable
64-bit BLAKE2b) and binary-searches the sorted hashes; fuzzy lookup scores aliases by the
Dice coefficient of their trigram sets, ``2 |A ∩ Q| / (|A| + |Q|)``. Its candidates come
from two inverted indexes: trigram → aliases (the mention's rarest trigrams) and word →
aliases (any whole word of the mention: a typo in one word of a name leaves the others).
All of it is flat numpy arrays, memory-mapped on load.
"""

import hashlib
import unicodedata
from array import array
from pathlib import Path
from typing import Dict, List, NamedTuple, Sequence, Tuple, Union

import numpy as np

from .arrays import csr_indptr, csr_rows, load_array, save_array
from .strings import StringTable

# Letters that NFKD does not split into a base letter and an accent.
_LETTERS = {
    "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d",
}
# Abbreviation dots and apostrophes join ("U.S." → "us", "O'Brien" → "obrien").
_JOINERS = ".'’"
_BUILD_CHUNK = 50_000


class AliasMatch(NamedTuple):
    """One entity found for a mention, through its best-matching alias.

    entity: the entity id.
    alias: the alias id (``index.alias(alias)`` is its normalised text).
    similarity: trigram Dice similarity of the normalised mention and the alias, in
        [0, 1]; 1.0 when they are equal.
    normalised: the normalised mention equals the alias.
    prior: P(entity | alias), the entity's share of the alias's weight.
    weight: the alias's weight for the entity (summed label-predicate weights).
    """

    entity: int
    alias: int
    similarity: float
    normalised: bool
    prior: float
    weight: float


class _Translation(dict):
    """``str.translate`` table: punctuation → space, joiners dropped, a few letters spelled out.

    Filled as characters are first seen, so no table of all of Unicode is built up front.
    """

    def __missing__(self, cp: int) -> Union[str, int]:
        value = " " if unicodedata.category(chr(cp)).startswith("P") else cp
        self[cp] = value
        return value


_TRANSLATION = _Translation({ord(c): None for c in _JOINERS})
_TRANSLATION.update({ord(c): s for c, s in _LETTERS.items()})


def normalise(text: str) -> str:
    """The lookup key of a label or mention: same key, same alias.

    Case-folded; NFKD-decomposed with accents dropped ("São" → "sao", "Łódź" → "lodz");
    abbreviation dots and apostrophes dropped ("U.S." → "us"); other punctuation made a
    space ("AT&T" → "at t"); runs of whitespace collapsed and trimmed. Symbols (emoji,
    "+", "$") and non-Latin scripts are kept.
    """
    if text.isascii():
        text = text.lower()
    else:  # NFKD before case folding too: "𝑨" only folds once it is "A"
        text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.translate(_TRANSLATION).split())


def alias_hash(alias: str) -> int:
    """A stable 64-bit hash of a normalised alias (the same in every process)."""
    return int.from_bytes(hashlib.blake2b(alias.encode("utf-8"), digest_size=8).digest(), "little")


def trigram_keys(padded: str) -> np.ndarray:
    """The distinct character trigrams of ``padded``, each packed as three 21-bit code points.

    RETURNS: sorted keys. shape: (n_trigrams,), int64
    """
    codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    return np.unique((codes[:-2] << 42) | (codes[1:-1] << 21) | codes[2:])


def _chunk_trigrams(aliases: List[str]) -> Tuple[np.ndarray, np.ndarray]:
    """Every trigram of the padded aliases (`` alias ``) and the alias (position) it is in.

    RETURNS: keys (see ``trigram_keys``) and owners. shape: (n_trigrams,), int64 both
    """
    padded = [f" {a} " for a in aliases]
    codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    owner = np.repeat(np.arange(len(padded)), lengths)[:-2]
    keys = (codes[:-2] << 42) | (codes[1:-1] << 21) | codes[2:]
    inside = np.arange(len(keys)) + 2 < np.cumsum(lengths)[owner]  # not across two aliases
    return keys[inside], owner[inside]


class AliasIndex:
    """Normalised aliases → entity ids, with exact and fuzzy (trigram) lookup.

    names: the aliases, ordered by ``hashes``.
    hashes: ``alias_hash`` of each alias, ascending. shape: (n_aliases,), uint64
    indptr: alias ``a``'s entities are ``entities[indptr[a]:indptr[a + 1]]``, by prior,
        descending. shape: (n_aliases + 1,), int64
    entities, weights, priors: entity id, alias weight and P(entity | alias) of each
        (alias, entity) pair. shape: (n_pairs,); int32, float32, float32
    trigrams: distinct trigram keys (``trigram_keys``), ascending. shape: (n_trigrams,), int64
    trigram_indptr: trigram ``t``'s aliases are ``postings[trigram_indptr[t]:trigram_indptr[t + 1]]``,
        ascending. shape: (n_trigrams + 1,), int64
    postings: alias ids. shape: (n_postings,), int32
    alias_trigram_indptr, alias_trigrams: the forward index: alias ``a``'s distinct
        trigrams are ``alias_trigrams[alias_trigram_indptr[a]:alias_trigram_indptr[a + 1]]``.
        shape: (n_aliases + 1,), int64 and (n_postings,), int32
    words, word_indptr, word_postings: the same for whole words, keyed by ``alias_hash``.
        shape: (n_words,), uint64; (n_words + 1,), int64; (n_word_postings,), int32
    """

    ARRAYS = (
        "hashes", "indptr", "entities", "weights", "priors",
        "trigrams", "trigram_indptr", "postings", "alias_trigram_indptr", "alias_trigrams",
        "words", "word_indptr", "word_postings",
    )

    def __init__(self, names: StringTable, **arrays: np.ndarray):
        self.names = names
        for name in self.ARRAYS:
            setattr(self, name, arrays[name])

    @classmethod
    def build(cls, aliases: Sequence[str], entities: np.ndarray, weights: np.ndarray) -> "AliasIndex":
        """The index of label statements: ``aliases[i]`` names ``entities[i]`` with ``weights[i]``.

        aliases: normalised, non-empty alias of each statement.
        entities: entity id of each statement. shape: (n,), int
        weights: how preferred each statement is (e.g. 1.0 for a preferred label). shape: (n,)
        Repeated (alias, entity) statements add their weights.
        """
        ids: Dict[str, int] = {}
        alias_of = np.fromiter(
            (ids.setdefault(a, len(ids)) for a in aliases), dtype=np.int64, count=len(aliases)
        )
        names = list(ids)
        del ids
        hashes = np.fromiter((alias_hash(a) for a in names), dtype=np.uint64, count=len(names))
        order = np.argsort(hashes, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        names = [names[i] for i in order]
        alias_of = rank[alias_of]

        entities = np.asarray(entities, dtype=np.int64)
        pairs, inverse = np.unique((alias_of << 32) | entities, return_inverse=True)
        pair_weights = np.bincount(inverse, weights=weights).astype(np.float32)
        pair_alias = pairs >> 32
        totals = np.bincount(pair_alias, weights=pair_weights, minlength=len(names))
        priors = (pair_weights / totals[pair_alias]).astype(np.float32)
        by_prior = np.lexsort((-priors, pair_alias))
        trigram_arrays = cls._trigram_index(names)
        word_arrays = cls._word_index(names)
        return cls(
            StringTable.from_strings(names),
            hashes=hashes[order],
            indptr=csr_indptr(pair_alias, len(names)),
            entities=(pairs[by_prior] & 0xFFFFFFFF).astype(np.int32),
            weights=pair_weights[by_prior],
            priors=priors[by_prior],
            **trigram_arrays,
            **word_arrays,
        )

    @staticmethod
    def _trigram_index(names: List[str]) -> Dict[str, np.ndarray]:
        """The inverted trigram index of the aliases, built in chunks to bound memory.

        Pass 1 collects the trigram vocabulary; pass 2 writes each alias's distinct
        trigrams (the forward index, in alias order) and the same pairs packed as
        ``trigram << 32 | alias`` into a buffer that is then sorted in place (the inverted
        index), so the largest temporary is that buffer, 8 bytes per pair.
        """
        chunks = [names[i : i + _BUILD_CHUNK] for i in range(0, len(names), _BUILD_CHUNK)]
        trigrams = np.zeros(0, dtype=np.int64)
        for chunk in chunks:
            trigrams = np.union1d(trigrams, _chunk_trigrams(chunk)[0])
        capacity = sum(len(a) for a in names)  # ≥ the number of pairs
        packed, forward = np.empty(capacity, dtype=np.int64), np.empty(capacity, dtype=np.int32)
        sizes = np.zeros(len(names), dtype=np.int64)
        filled = start = 0
        for chunk in chunks:
            keys, owner = _chunk_trigrams(chunk)
            pairs = np.unique((owner << 32) | np.searchsorted(trigrams, keys))  # by alias, then trigram
            sizes[start : start + len(chunk)] = np.bincount(pairs >> 32, minlength=len(chunk))
            forward[filled : filled + len(pairs)] = pairs & 0xFFFFFFFF
            packed[filled : filled + len(pairs)] = ((pairs & 0xFFFFFFFF) << 32) | ((pairs >> 32) + start)
            filled, start = filled + len(pairs), start + len(chunk)
        packed, forward = packed[:filled], forward[:filled].copy()
        packed.sort()  # by trigram, then alias
        counts = np.zeros(len(trigrams), dtype=np.int64)
        postings = np.empty(len(packed), dtype=np.int32)
        step = 16 * _BUILD_CHUNK
        for i in range(0, len(packed), step):
            counts += np.bincount(packed[i : i + step] >> 32, minlength=len(trigrams))
            postings[i : i + step] = packed[i : i + step] & 0xFFFFFFFF
        indptr = np.zeros(len(trigrams) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        alias_indptr = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum(sizes, out=alias_indptr[1:])
        return {
            "trigrams": trigrams,
            "trigram_indptr": indptr,
            "postings": postings,
            "alias_trigram_indptr": alias_indptr,
            "alias_trigrams": forward,
        }

    @staticmethod
    def _word_index(names: List[str]) -> Dict[str, np.ndarray]:
        """The inverted index of the aliases' words: word hash → aliases, ascending."""
        hashed: Dict[str, int] = {}
        word_of, alias_of = array("Q"), array("i")
        for alias_id, alias in enumerate(names):
            for word in dict.fromkeys(alias.split(" ")):
                h = hashed.get(word)
                if h is None:
                    h = hashed[word] = alias_hash(word)
                word_of.append(h)
                alias_of.append(alias_id)
        del hashed
        word_of = np.frombuffer(word_of, dtype=np.uint64)
        alias_of = np.frombuffer(alias_of, dtype=np.int32)
        order = np.lexsort((alias_of, word_of))
        word_of = word_of[order]
        words, counts = np.unique(word_of, return_counts=True)
        indptr = np.zeros(len(words) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return {"words": words, "word_indptr": indptr, "word_postings": alias_of[order]}

    def __len__(self) -> int:
        return len(self.names)

    def alias(self, alias_id: int) -> str:
        return self.names[alias_id]

    def find(self, alias: str) -> Union[int, None]:
        """The id of a normalised alias, or None."""
        h = np.uint64(alias_hash(alias))
        i = int(np.searchsorted(self.hashes, h))
        while i < len(self.hashes) and self.hashes[i] == h:
            if self.names[i] == alias:
                return i
            i += 1
        return None

    def entities_of(self, alias_id: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Entity ids, priors and weights of an alias, by prior, descending."""
        span = slice(self.indptr[alias_id], self.indptr[alias_id + 1])
        return self.entities[span], self.priors[span], self.weights[span]

    def search(
        self,
        text: str,
        k: int = 10,
        fuzzy: bool = True,
        max_postings: int = 10_000,
        max_candidates: int = 500,
    ) -> List[AliasMatch]:
        """The ``k`` best entities for a mention, by similarity, then prior, then id.

        fuzzy: also search aliases by trigram similarity when the normalised mention
            names fewer than ``k`` entities.
        max_postings: how many alias ids the fuzzy search gathers from the posting lists of
            the mention's rarest trigrams (at least one list, however long).
        max_candidates: how many of the aliases gathered (from those lists and from the
            lists of the mention's words) are scored: those with the most hits, then the
            closest in length to the mention.
        """
        query = normalise(text)
        if not query or k <= 0:
            return []
        alias_ids, similarity = [], []
        exact = self.find(query)
        if exact is not None:
            alias_ids.append(np.array([exact]))
            similarity.append(np.ones(1))
        if fuzzy and (exact is None or self.indptr[exact + 1] - self.indptr[exact] < k):
            found, sims = self._fuzzy(query, 4 * k, max_postings, max_candidates)
            alias_ids.append(found)
            similarity.append(sims)
        if not alias_ids:
            return []
        return self._rank(np.concatenate(alias_ids), np.concatenate(similarity), exact, k)

    def _fuzzy(
        self, query: str, n: int, max_postings: int, max_candidates: int
    ) -> Tuple[np.ndarray, np.ndarray]:
        """The ``n`` aliases most similar to a normalised query, and their similarities."""
        keys = trigram_keys(f" {query} ")
        pos = np.searchsorted(self.trigrams, keys)
        known = pos < len(self.trigrams)
        known[known] = self.trigrams[pos[known]] == keys[known]
        tids = pos[known]  # ascending, as keys are
        if not len(tids):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        starts, ends = self.trigram_indptr[tids], self.trigram_indptr[tids + 1]
        by_df = np.argsort(ends - starts, kind="stable")
        # Candidates: the aliases in the rarest trigrams' posting lists (up to max_postings
        # ids, at least one list) and in the lists of the query's words, a word hit
        # counting as all the trigrams of the word. Each list is sorted, so timsort
        # ("stable") merges them in about linear time.
        rare = max(1, int(np.searchsorted(np.cumsum((ends - starts)[by_df]), max_postings, side="right")))
        lists = [self.postings[starts[t] : ends[t]] for t in by_df[:rare].tolist()]
        counts = [1] * len(lists)
        for word, posting in self._word_postings(query, max_postings):
            lists.append(posting)
            counts.append(len(word))
        gathered = np.concatenate(lists)
        order = np.argsort(gathered, kind="stable")
        gathered, hits = gathered[order], np.repeat(counts, [len(x) for x in lists])[order]
        first = np.flatnonzero(np.diff(gathered, prepend=-1))
        candidates = gathered[first].astype(np.int64)
        sizes = self.alias_trigram_indptr[candidates + 1] - self.alias_trigram_indptr[candidates]
        if len(candidates) > max_candidates:  # keep the most hits, then the closest in length
            estimate = np.add.reduceat(hits, first) - np.abs(sizes - len(keys)) / len(keys)
            keep = np.argpartition(-estimate, max_candidates)[:max_candidates]
            candidates, sizes = candidates[keep], sizes[keep]
        # Score them exactly: look each candidate's trigrams up among the query's.
        rows = csr_rows(self.alias_trigram_indptr, candidates)
        shared = self.alias_trigrams[rows]
        at = np.minimum(np.searchsorted(tids, shared), len(tids) - 1)
        owner = np.repeat(np.arange(len(candidates)), sizes)
        overlap = np.bincount(owner, weights=tids[at] == shared, minlength=len(candidates))
        sims = 2.0 * overlap / (len(keys) + sizes)
        top = np.lexsort((candidates, -sims))[:n]
        return candidates[top], sims[top]

    def _word_postings(self, query: str, max_aliases: int) -> List[Tuple[str, np.ndarray]]:
        """Each word of the query in the index, with its aliases if there are at most ``max_aliases``."""
        if not len(self.words):
            return []
        words = list(dict.fromkeys(query.split(" ")))
        hashes = np.array([alias_hash(word) for word in words], dtype=np.uint64)
        pos = np.minimum(np.searchsorted(self.words, hashes), len(self.words) - 1)
        return [
            (word, self.word_postings[self.word_indptr[i] : self.word_indptr[i + 1]])
            for word, i, found in zip(words, pos.tolist(), (self.words[pos] == hashes).tolist())
            if found and self.word_indptr[i + 1] - self.word_indptr[i] <= max_aliases
        ]

    def _rank(self, alias_ids: np.ndarray, similarity: np.ndarray, exact, k: int) -> List[AliasMatch]:
        """Expand aliases to their entities; keep each entity's best alias; the top ``k``."""
        rows = csr_rows(self.indptr, alias_ids)
        entities, priors, weights = self.entities[rows], self.priors[rows], self.weights[rows]
        counts = self.indptr[alias_ids + 1] - self.indptr[alias_ids]
        alias_ids, similarity = np.repeat(alias_ids, counts), np.repeat(similarity, counts)
        order = np.lexsort((entities, -priors, -similarity))
        _, first = np.unique(entities[order], return_index=True)  # each entity's best row
        top = order[np.sort(first)[:k]]
        return [
            AliasMatch(e, a, s, a == exact, p, w)
            for e, a, s, p, w in zip(
                entities[top].tolist(), alias_ids[top].tolist(), similarity[top].tolist(),
                priors[top].tolist(), weights[top].tolist(),
            )
        ]

    def to_disk(self, path: Union[str, Path]) -> None:
        self.names.to_disk(path, "aliases")
        for name in self.ARRAYS:
            save_array(Path(path) / f"aliases.{name}.npy", getattr(self, name))

    @classmethod
    def from_disk(cls, path: Union[str, Path], mmap: bool = True) -> "AliasIndex":
        arrays = {name: load_array(Path(path) / f"aliases.{name}.npy", mmap) for name in cls.ARRAYS}
        return cls(StringTable.from_disk(path, "aliases", mmap), **arrays)
