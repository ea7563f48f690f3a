"""Text normalisation shared by the engine and the build scripts.

One definition of "a word" for the catalog, the query and the word-vector table, so that a word
the build embedded is exactly a word the engine looks up. Pure Python plus PyStemmer.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer

# A word: letters/digits, keeping the characters that make tool names distinct
# (c++, c#, .net, node.js, ci/cd is split on "/"). A leading "." survives only for ".net"-style
# names, so a sentence-final full stop never sticks to a word.
_WORD = re.compile(r"\.?[a-z0-9](?:[a-z0-9+#]|\.(?=[a-z0-9]))*")

# Function words: ignored for phrase keys and BM25, so "use of spreadsheets" matches
# "use spreadsheets". Deliberately short: words such as "plan", "lead", "use" carry meaning here.
STOP = frozenset(
    """
    a an and are as at be been by for from has have in into is it its of on or our over such
    that the their them then there these they this those to under up was we were which while
    who will with within without you your i me my us etc e.g i.e per via
    """.split()
)

# PyStemmer's Stemmer objects keep a cache and are documented as not thread-safe: one per thread.
_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    s = getattr(_local, "stemmer", None)
    if s is None:
        s = _local.stemmer = Stemmer.Stemmer("english")
    return s


def fold(text: str) -> str:
    """Lower case, accents removed (NFKD, combining marks dropped), curly quotes/dashes unified."""
    if text.isascii():
        return text.lower()  # fast path: most text; nothing to fold but case
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.lower().replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")


def words(text: str) -> list[str]:
    """Folded words of ``text`` in order (no stemming, stop words kept)."""
    out = []
    for w in _WORD.findall(fold(text)):
        w = w.rstrip(".")
        if w:
            out.append(w)
    return out


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball English stem; words with + or # (c++, c#) and short words are kept as they are."""
    if len(word) <= 3 or not word.isalpha():
        return word
    return _stemmer().stemWord(word)


def content_stems(text: str) -> list[str]:
    """Stems of the non-stop words of ``text``, in order: the key for phrases and BM25."""
    return stems_of(words(text))


def stems_of(ws: list[str]) -> list[str]:
    """Stems of the non-stop words among ``ws`` (already folded words), in order."""
    return [stem(w) for w in ws if w not in STOP]


# Words that job ads and work histories use around skills rather than as skills ("5+ years of
# experience", "strong knowledge of", "ability to"). They are down-weighted on the query side
# only; the catalog keeps them. General domain knowledge, not taken from labelled data.
FILLER = frozenset(
    """
    ability able advantage candidate candidates company desirable desired demonstrated
    excellent experience experienced expertise good great year years knowledge plus
    preferred preferably proficiency proficient proven required requirement requirements
    responsibilities role skill skills solid strong successful understanding job position
    looking seeking ideal including etc new highly
    """.split()
)


def name_key(label: str) -> str | None:
    """For a one-word label written with capitals (Java, Solidity, LESS): the exact folded word,
    marked with "=", so that names match as written and are not stemmed ("solids" is not
    Solidity). None for other labels."""
    return name_key_of(label, words(label))


def name_key_of(label: str, ws: list[str]) -> str | None:
    """``name_key`` given the label's words (saves tokenising twice)."""
    if len(ws) == 1 and not label.islower():
        return "=" + ws[0]
    return None
