"""Deterministic, offline skill suggestions from free text against the ESCO catalog.

Usage::

    engine = SkillEngine.from_files("data/esco_skills_v1.2.0.jsonl.gz",
                                    "data/word_vectors.npz")
    engine.suggest("Built the monthly sales dashboard in Tableau", "", exclude=(), limit=10)
    # -> [Suggestion(id="esco:…", label="data visualisation software", score=0.83), …]

Guarantees:

* **Deterministic.** The same (title, description, exclude, limit) always gives the same list:
  no randomness, no clock, no state kept between calls. Scores are rounded to 6 decimals before
  ranking and ties are broken by id, so float noise cannot reorder results.
* **Offline.** Reads only the catalog, the vector table and the alias table; no network, no
  model download. Run-time dependencies: numpy and PyStemmer.
* **Thread-safe for reads.** After construction the engine is never mutated; every call works
  on its own local arrays (the stemmer is per thread). One engine can serve all threads.
* **Scores in [0, 1]**, best first, at most ``limit`` items, ids from the catalog only, none of
  ``exclude``. Only the first 8,000 characters of the text are read (bounded latency).

Method (docs/PERFORMANCE.md, "Skill suggestions", has the ablation of each part):

1. Text is folded (case, accents), split into words, stop words dropped, Snowball-stemmed. A
   one-word label written with capitals (Java, Solidity, LESS) matches only the exact word.
   Job-ad filler words ("experience", "ability", "strong") are down-weighted in the query.
2. Phrase matches: every preferred or alternative label (and curated alias of a tool name that
   ESCO lacks) whose stems occur contiguously in the text, worth the IDF mass of the matched
   words; a match inside a longer match counts less (longest match wins).
3. Label coverage: for every label, the IDF share of its words present in the text, in any
   order; a concept takes its best label.
4. BM25F over three fields per concept (preferred label, alternative labels, description).
5. Static word vectors distilled from all-MiniLM-L6-v2 (``scripts/build_skill_vectors.py``):
   text and labels are IDF-weighted sums of word vectors; a concept's vector combines its
   preferred and alternative labels; the text side mixes the whole text and its best 3-word
   window.
6. The four signals are blended with fixed weights (``DEFAULT_PARAMS``).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import gzip
import json
import threading
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from workhistory.skills import CATALOG, DATA, VECTORS
from workhistory.skills.text import FILLER, STOP, content_stems, name_key_of, stem, stems_of, words

ALIASES = DATA / "aliases.tsv"


class Suggestion(NamedTuple):
    """One suggested catalog skill: ``id`` ("esco:<uuid>"), preferred ``label``, ``score``."""

    id: str
    label: str
    score: float


DEFAULT_PARAMS: dict[str, float] = {
    # Blend weights of the four signals. Chosen as a round point inside the plateau of a
    # coarse grid on the two validation splits (docs/PERFORMANCE.md: the grid's median is
    # within 2-5 points of this one, so nothing here is tuned finely).
    "phrase": 0.5,  # contiguous label / alias matches (saturating IDF mass)
    "cover": 1.0,  # share of a label's IDF mass present in the text, any order
    "lex": 0.5,  # BM25F over preferred label, alternative labels, description
    "vec": 2.0,  # cosine of static MiniLM-distilled word vectors
    # Fixed from general IR practice, not tuned:
    "w_pref": 3.0,  # BM25F field weights
    "w_alt": 1.5,
    "w_desc": 0.3,
    "k1": 1.2,  # BM25 saturation
    "b_desc": 0.75,  # BM25 length normalisation of the description
    "phrase_sat": 8.0,  # IDF mass at which a phrase match is worth half its weight
    "nested": 0.3,  # factor for a phrase match inside a longer match
    "filler": 0.15,  # query weight of job-ad filler words ("experience"; skill_text.FILLER)
    "window": 3,  # word window for the vector signal
    "win_share": 0.5,  # vector signal = mix of whole-text cosine and best-window cosine
    "alt_vec": 0.9,  # weight of the mean alternative-label vector in a concept's vector
}


@dataclass(frozen=True)
class _Field:
    """CSR postings of one BM25F field: term -> (concept indices, normalised tf)."""

    indptr: np.ndarray
    concepts: np.ndarray
    tf: np.ndarray


def _read_catalog(path: str | Path) -> Iterator[dict]:
    """Catalog records one by one (JSONL, gzipped if the name ends in .gz)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


# A phrase entry packs (concept, kind) into one int, concept * 4 + kind code, and a phrase
# shared by several concepts keeps a sorted tuple of them: ~80,000 entries stay small.
_PREF, _ALIAS, _ALT = 0, 1, 2
_MAX_WINDOWS = 32  # bound on word windows per text (latency of long descriptions)
_MAX_CHARS = 8000  # text read per call (~1,300 words; keeps the worst case near 20 ms)
_KIND_WEIGHT = (1.0, 0.9, 0.8)  # preferred label, curated alias, alternative label


def _add_phrase(table: dict, key: str, concept: int, kind: int) -> None:
    code = concept * 4 + kind
    old = table.get(key)
    if old is None:
        table[key] = code
        return
    items = {c >> 2: c & 3 for c in (old if isinstance(old, tuple) else (old,))}
    items[concept] = min(items.get(concept, kind), kind)  # keep the strongest kind
    codes = tuple(sorted(c * 4 + k for c, k in items.items()))
    table[key] = codes[0] if len(codes) == 1 else codes


def _decode(entry: int | tuple[int, ...]) -> Iterator[tuple[int, float]]:
    for code in entry if isinstance(entry, tuple) else (entry,):
        yield code >> 2, _KIND_WEIGHT[code & 3]


def _read_aliases(path: Path) -> list[tuple[str, str]]:
    """``alias<TAB>ESCO preferred label`` lines; '#' starts a comment."""
    out = []
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            alias, label = (x.strip() for x in line.split("\t"))
            out.append((alias, label))
    return out


class SkillEngine:
    """An immutable index over the catalog; see the module docstring for its guarantees."""

    def __init__(self, records: Iterable[dict], vectors: dict | None = None,
                 params: dict[str, float] | None = None,
                 aliases: list[tuple[str, str]] | None = None):
        """Build the index from catalog records (an iterable, consumed once) and an optional
        word-vector table (the arrays of ``word_vectors.npz``)."""
        self.params = dict(DEFAULT_PARAMS, **(params or {}))
        p = self.params
        self.ids: list[str] = []
        self.labels: list[str] = []
        vocab: dict[str, int] = {}
        self._wrow: dict[str, int] = {}
        if vectors is not None:
            self._wrow = {w: i for i, w in
                          enumerate(bytes(vectors["words"]).decode("utf-8").split("\n"))}
        wrow = self._wrow

        def tid(t: str) -> int:
            j = vocab.get(t)
            if j is None:
                j = vocab[t] = len(vocab)
            return j

        # Records are consumed one at a time and everything kept while building lives in flat
        # arrays: millions of small transient Python objects would leave the heap fragmented,
        # and that shows as resident memory long after they are freed.
        lt_flat, lt_len = array("i"), array("i")  # every label's term ids (preferred first)
        lab_owner, lab_is_pref = array("i"), array("b")
        lw_flat, lw_len = array("i"), array("i")  # every label's word-vector rows
        d_flat, d_len = array("i"), array("i")  # description term ids
        phrases: dict[str, int | tuple[int, ...]] = {}
        for i, r in enumerate(records):
            self.ids.append(r["id"])
            self.labels.append(r["label"])
            for k, text in enumerate([r["label"], *r["alt_labels"]]):
                ws = words(text)
                nk = name_key_of(text, ws)
                ts = [nk] if nk else stems_of(ws)
                if not ts:
                    continue
                lt_flat.extend(tid(t) for t in ts)
                lt_len.append(len(ts))
                lab_owner.append(i)
                lab_is_pref.append(k == 0)
                rows = [wrow[w] for w in ws if w in wrow]
                lw_flat.extend(rows)
                lw_len.append(len(rows))
                _add_phrase(phrases, " ".join(ts), i, _PREF if k == 0 else _ALT)
            ds = content_stems(r["description"])
            d_flat.extend(tid(t) for t in ds)
            d_len.append(len(ds))
        n = self.n = len(self.ids)
        self._index = {cid: i for i, cid in enumerate(self.ids)}
        by_label: dict[str, int] = {}
        for i, lab in enumerate(self.labels):
            by_label.setdefault(lab, i)
        self._alias_count = 0
        for alias, label in aliases if aliases is not None else _read_aliases(ALIASES):
            i = by_label.get(label)
            ws = words(alias)
            nk = name_key_of(alias, ws)
            ts = [nk] if nk else stems_of(ws)
            if i is None or not ts:
                raise ValueError(f"alias {alias!r}: no catalog skill labelled {label!r}")
            # an alias is one more alternative label of its concept, everywhere
            lt_flat.extend(tid(t) for t in ts)
            lt_len.append(len(ts))
            lab_owner.append(i)
            lab_is_pref.append(False)
            rows = [wrow[w] for w in ws if w in wrow]
            lw_flat.extend(rows)
            lw_len.append(len(rows))
            _add_phrase(phrases, " ".join(ts), i, _ALIAS)
            self._alias_count += 1
        self._phrases = phrases
        # longest phrase starting with each first term: the scan stops early for most words
        self._phrase_len: dict[str, int] = {}
        for k in phrases:
            first, _, rest = k.partition(" ")
            ln = rest.count(" ") + 2 if rest else 1
            if ln > self._phrase_len.get(first, 0):
                self._phrase_len[first] = ln
        self.vocab = vocab
        nt = len(vocab)
        owner = np.frombuffer(lab_owner, dtype=np.int32).copy()
        is_pref = np.frombuffer(lab_is_pref, dtype=np.int8).astype(bool)
        lt_flat_a = np.frombuffer(lt_flat, dtype=np.int32).astype(np.int64)
        lt_len_a = np.frombuffer(lt_len, dtype=np.int32)
        d_flat_a = np.frombuffer(d_flat, dtype=np.int32).astype(np.int64)
        d_len_a = np.frombuffer(d_len, dtype=np.int32)
        n_lab = len(owner)

        # --- IDF over concepts (a term counts once per concept, any field) -----------------
        lt_owner = np.repeat(owner, lt_len_a)
        d_owner = np.repeat(np.arange(n), d_len_a)
        pairs = np.unique(np.concatenate([lt_owner * nt + lt_flat_a, d_owner * nt + d_flat_a]))
        df = np.bincount(pairs % nt, minlength=nt).astype(np.float64)
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)

        # --- BM25F postings ----------------------------------------------------------------
        # pref: presence / sqrt(label length) (a one-word label is all about that word);
        # alt: share of the concept's alternative labels that contain the term (ESCO repeats
        # words across variants: raw counts would reward long lists); desc: tf with BM25's b.
        lab_idx = np.repeat(np.arange(n_lab), lt_len_a)
        u = np.unique(lab_idx * nt + lt_flat_a)  # (label, term) once
        u_lab, u_t = u // nt, u % nt
        u_own, u_pref = owner[u_lab], is_pref[u_lab]
        n_terms = np.bincount(u_lab, minlength=n_lab)
        f_pref = (u_t[u_pref], u_own[u_pref], 1.0 / np.sqrt(n_terms[u_lab[u_pref]]))
        n_alts = np.bincount(owner[~is_pref], minlength=n).astype(np.float64)
        av, ac = np.unique(u_own[~u_pref] * nt + u_t[~u_pref], return_counts=True)
        f_alt = (av % nt, av // nt, ac / n_alts[av // nt])
        avg_desc = max(1.0, float(d_len_a.mean()))
        dn = 1.0 - p["b_desc"] + p["b_desc"] * d_len_a / avg_desc
        dv, dc = np.unique(d_owner * nt + d_flat_a, return_counts=True)
        f_desc = (dv % nt, dv // nt, dc / dn[dv // nt])
        self._fields = [self._csr(*f, nt) for f in (f_pref, f_alt, f_desc)]

        # --- label coverage: per label, the IDF share of its words present in the text
        # (order-free); a concept takes its best label ----------------------------------------
        self._cover = self._csr(u_t, u_lab, np.ones(len(u_t)), nt)
        self._label_owner = owner
        self._label_mass = np.bincount(u_lab, weights=self.idf[u_t],
                                       minlength=n_lab).astype(np.float32)

        # --- vectors -----------------------------------------------------------------------
        self._vec = None
        if vectors is not None:
            self._init_vectors(vectors, np.frombuffer(lw_flat, dtype=np.int32),
                               np.frombuffer(lw_len, dtype=np.int32), owner, is_pref)

    @staticmethod
    def _csr(terms: np.ndarray, rows: np.ndarray, vals: np.ndarray, nt: int) -> _Field:
        order = np.lexsort((rows, terms))
        terms = np.asarray(terms)[order]
        indptr = np.searchsorted(terms, np.arange(nt + 1)).astype(np.int64)
        return _Field(indptr, np.asarray(rows)[order].astype(np.int32),
                      np.asarray(vals)[order].astype(np.float32))

    # ------------------------------------------------------------------------------------
    @classmethod
    def from_files(cls, catalog_path: str | Path, vectors_path: str | Path | None = None,
                   params: dict[str, float] | None = None,
                   aliases: list[tuple[str, str]] | str | Path | None = None) -> SkillEngine:
        """Load the catalog (JSONL, optionally gzipped) and the word-vector table, build the index.

        ``vectors_path=None`` gives the lexical engine only; ``aliases`` is a path to an alias
        TSV, a list of (alias, preferred label) pairs, ``[]`` for none, or ``None`` for
        ``data/aliases.tsv`` beside this module. Takes about two seconds
        and ~50 MiB; call once per process and share the engine between threads.
        """
        records = _read_catalog(catalog_path)
        vectors = None
        if vectors_path is not None:
            with np.load(vectors_path) as z:
                vectors = {k: z[k] for k in z.files}
        if isinstance(aliases, (str, Path)):
            aliases = _read_aliases(Path(aliases))
        engine = cls(records, vectors, params, aliases)
        _release_free_heap()
        return engine

    # ------------------------------------------------------------------------------------
    def _init_vectors(self, vz: dict, lw_flat: np.ndarray, lw_len: np.ndarray,
                      owner: np.ndarray, is_pref: np.ndarray) -> None:
        # word weight: IDF of the word's stem (or name key) in the catalog (rare words say
        # more); words the catalog lacks get the IDF of a term seen once; stop words nothing
        max_idf = float(self.idf.max())
        wts = np.empty(len(self._wrow), dtype=np.float32)
        for w, i in self._wrow.items():
            t = self.vocab.get(stem(w))
            if t is None:
                t = self.vocab.get("=" + w)
            wts[i] = 0.0 if w in STOP else (self.idf[t] if t is not None else max_idf)
        # kept as int8 + one float per row (8 MB instead of 32 MB as float32)
        self._wq = vz["vecs"]
        self._wscale = (vz["scale"].astype(np.float32) * wts).astype(np.float32)
        dim = self._wq.shape[1]
        # concept vector = unit(pref vector + alt_vec * mean of alternative-label vectors),
        # each label vector a unit weighted word sum; built in chunks to bound peak memory
        keep = np.flatnonzero(lw_len > 0)
        ptr = np.concatenate([[0], np.cumsum(lw_len)]).astype(np.int64)
        pv = np.zeros((self.n, dim), dtype=np.float32)
        av = np.zeros((self.n, dim), dtype=np.float32)
        step = 4096
        for s in range(0, len(keep), step):
            ks = keep[s:s + step]
            lo, hi = ptr[ks[0]], ptr[ks[-1] + 1]
            rows = lw_flat[lo:hi]
            m = self._wq[rows].astype(np.float32) * self._wscale[rows, None]
            # labels without rows were skipped, so restart offsets from the kept labels only
            starts = ptr[ks] - lo
            v = np.add.reduceat(m, starts, axis=0)
            # reduceat sums up to the next start: the gaps of skipped labels are empty anyway
            v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-9
            own, pref = owner[ks], is_pref[ks]
            pv[own[pref]] = v[pref]
            np.add.at(av, own[~pref], v[~pref])
        cnt = np.bincount(owner[keep][~is_pref[keep]], minlength=self.n)
        av /= np.maximum(cnt, 1).astype(np.float32)[:, None]
        pv += self.params["alt_vec"] * av
        del av
        pv /= np.linalg.norm(pv, axis=1, keepdims=True) + 1e-9
        self._vec = pv

    # ------------------------------------------------------------------------------------
    def _phrase_scores(self, q: list[tuple[str, str, float]], out: np.ndarray) -> None:
        """Add phrase-match evidence: IDF mass of the matched words, less if nested.

        ``q`` is the query as (stem, "=word", weight) per content word; a one-word name label
        matches on "=word", any other label on the stems.
        """
        n = len(q)
        stems = [t[0] for t in q]
        matches = []  # (start, end, concept, kind)
        for i in range(n):
            for j in range(min(n, i + self._phrase_len.get(stems[i], 0)), i, -1):
                hit = self._phrases.get(" ".join(stems[i:j]))
                if hit is not None:
                    for c, kind in _decode(hit):
                        matches.append((i, j, c, kind))
            hit = self._phrases.get(q[i][1])
            if hit is not None:
                for c, kind in _decode(hit):
                    matches.append((i, i + 1, c, kind))
        if not matches:
            return
        spans = {(s, e) for s, e, _, _ in matches}
        nested = self.params["nested"]
        best: dict[int, float] = {}
        for s, e, c, kind in matches:
            inside = any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2 in spans)
            mass = 0.0
            for t, nk, w in q[s:e]:
                j = self.vocab.get(t) if e - s > 1 or nk not in self.vocab else self.vocab[nk]
                mass += w * (float(self.idf[j]) if j is not None else 1.0)
            v = kind * mass * (nested if inside else 1.0)
            if v > best.get(c, 0.0):
                best[c] = v
        for c, v in best.items():
            out[c] += v

    def _query_weights(self, q: list[tuple[str, str, float]]) -> dict[int, float]:
        """Catalog term id -> the query's weight of it (by stem or by name key, the higher)."""
        qw: dict[int, float] = {}
        for t, nk, w in q:
            for key in (t, nk):
                j = self.vocab.get(key)
                if j is not None:
                    qw[j] = max(qw.get(j, 0.0), w)
        return qw

    def _coverage(self, q: list[tuple[str, str, float]]) -> np.ndarray:
        qw = self._query_weights(q)
        acc = np.zeros(len(self._label_owner), dtype=np.float32)
        f = self._cover
        for t in sorted(qw):
            lo, hi = f.indptr[t], f.indptr[t + 1]
            acc[f.concepts[lo:hi]] += qw[t] * self.idf[t]
        share = acc / self._label_mass
        out = np.zeros(self.n, dtype=np.float32)
        np.maximum.at(out, self._label_owner, share)
        return out

    def _bm25f(self, q: list[tuple[str, str, float]]) -> np.ndarray:
        """BM25F: per (term, concept) the field-weighted tf is summed, then saturated."""
        p = self.params
        qw = self._query_weights(q)
        if not qw:
            return np.zeros(self.n, dtype=np.float32)
        terms = sorted(qw)
        keys, vals = [], []
        for qi, t in enumerate(terms):
            for f, w in zip(self._fields, (p["w_pref"], p["w_alt"], p["w_desc"]), strict=True):
                lo, hi = f.indptr[t], f.indptr[t + 1]
                if hi > lo:
                    keys.append(qi * self.n + f.concepts[lo:hi].astype(np.int64))
                    vals.append(w * f.tf[lo:hi])
        if not keys:
            return np.zeros(self.n, dtype=np.float32)
        uk, inv = np.unique(np.concatenate(keys), return_inverse=True)
        tf = np.bincount(inv, weights=np.concatenate(vals))
        k1 = p["k1"]
        t_of = uk // self.n
        gain = np.array([qw[t] * float(self.idf[t]) for t in terms])[t_of]
        contrib = gain * tf * (k1 + 1) / (tf + k1)
        return np.bincount(uk % self.n, weights=contrib, minlength=self.n).astype(np.float32)

    def _vector_scores(self, ws: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Cosine of every concept with the whole text, and its best cosine with a window."""
        q = [w for w in ws if w in self._wrow and w not in STOP]
        zero = np.zeros(self.n, dtype=np.float32)
        if not q:
            return zero, zero
        rows = np.array([self._wrow[w] for w in q])
        qw = np.array([self.params["filler"] if w in FILLER else 1.0 for w in q], np.float32)
        wm = self._wq[rows].astype(np.float32) * (self._wscale[rows] * qw)[:, None]
        embs = [wm.sum(axis=0)]
        k = int(self.params["window"])
        if k > 0 and len(q) > k:
            # windows of k content words; a long text gets at most _MAX_WINDOWS of them, wider
            # and further apart, so the cost stays flat (matrix product with every concept)
            stride = -(-(len(q) - k + 1) // _MAX_WINDOWS)
            k = max(k, stride)
            c = np.cumsum(np.vstack([np.zeros((1, wm.shape[1]), np.float32), wm]), axis=0)
            starts = np.arange(0, len(q) - k + 1, stride)
            embs.extend(c[starts + k] - c[starts])
        e = np.array(embs, dtype=np.float32)
        e /= np.linalg.norm(e, axis=1, keepdims=True) + 1e-9
        sims = self._vec @ e.T  # (concepts, windows)
        return sims[:, 0], sims.max(axis=1)

    def signals(self, text: str) -> dict[str, np.ndarray]:
        """Raw per-concept signals for ``text``: phrase mass, BM25F, vector cosines."""
        ws = words(text)
        fw = self.params["filler"]
        q = [(stem(w), "=" + w, fw if w in FILLER else 1.0) for w in ws if w not in STOP]
        ph = np.zeros(self.n, dtype=np.float32)
        if q:
            self._phrase_scores(q, ph)
        out = {"phrase": ph, "lex": self._bm25f(q) if q else ph.copy(),
               "cover": self._coverage(q) if q else ph.copy()}
        if self._vec is not None:
            out["vec"], out["vecw"] = self._vector_scores(ws)
        return out

    def blend(self, sig: dict[str, np.ndarray]) -> np.ndarray:
        """Combine signals into one score per concept (see DEFAULT_PARAMS)."""
        p = self.params
        score = np.zeros(self.n, dtype=np.float32)
        ph = sig["phrase"]
        # phrase: absolute IDF mass, saturating, so a lone common word stays weak
        score += p["phrase"] * ph / (ph + p["phrase_sat"])
        score += p["cover"] * sig["cover"]
        lex = sig["lex"]
        m = float(lex.max())
        if m > 0:
            score += p["lex"] * lex / m
        if "vec" in sig and p["vec"]:
            v = (1 - p["win_share"]) * sig["vec"] + p["win_share"] * sig["vecw"]
            score += p["vec"] * np.maximum(v, 0.0)
        return score

    def raw_scores(self, text: str) -> np.ndarray:
        """The blended score of every concept for ``text`` (higher is better, 0 = no evidence)."""
        return self.blend(self.signals(text))

    def suggest(self, title: str, description: str = "", exclude: Iterable[str] = (),
                limit: int = 10) -> list[Suggestion]:
        """Suggest catalog skills for a work item, best first.

        ``title`` and ``description`` are read as one text (its first 8,000 characters).
        ``exclude`` ids (already chosen) are left out. Returns at most ``limit`` suggestions
        with score in [0, 1]. A text without any known word gives an empty list; otherwise there
        is no threshold (the vector signal finds something for any words). Real skill mentions
        usually score above 0.5 and chit-chat below 0.5, but that cut-off was not measured.
        """
        if limit <= 0:
            return []
        text = f"{title}\n{description}" if description else title
        text = text[:_MAX_CHARS]
        raw = self.raw_scores(text)
        skip = {self._index[x] for x in exclude if x in self._index}
        # each signal is at most its weight, so dividing by the weights puts scores in [0, 1]
        total = sum(self.params[k] for k in ("phrase", "cover", "lex", "vec")) or 1.0
        cand = np.flatnonzero(raw > 0)
        if len(cand) == 0:
            return []
        # partial sort then exact, deterministic order: rounded score desc, id asc
        take = min(len(cand), limit + len(skip) + 32)
        if take < len(cand):
            # keep every concept tied with the cut-off so the id tie-break is exact
            thr = raw[cand[np.argpartition(-raw[cand], take - 1)[:take]]].min()
            top = cand[raw[cand] >= thr]
        else:
            top = cand
        ranked = sorted(((round(float(raw[i]) / total, 6), self.ids[i], i) for i in top
                         if i not in skip), key=lambda x: (-x[0], x[1]))
        return [Suggestion(cid, self.labels[i], min(1.0, max(0.0, s)))
                for s, cid, i in ranked[:limit]]


def _release_free_heap() -> None:
    """Hand the heap pages freed by the build back to the OS (glibc ``malloc_trim``).

    Building frees tens of MB of temporaries that glibc would otherwise keep as resident memory
    of the worker (measured: 123 -> 57 MiB). Harmless no-op where glibc is absent.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


_default_lock = threading.Lock()
_default: SkillEngine | None = None


def default_engine() -> SkillEngine:
    """Process-wide engine over the files in ``data/`` beside this module (built once)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SkillEngine.from_files(CATALOG, VECTORS)
        return _default
