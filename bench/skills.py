"""Skill suggestions and autocomplete (SPEC §9): quality on labelled data, latency, memory.

Run with `python -m bench.skills` (add `--ablation` for the component ablation, which builds
the engine ~25 times). Results go to bench/out/skills.json (and skills-ablation.json);
`python -m bench.report` puts them in docs/PERFORMANCE.md.

**Quality**, exactly as the skillbench README (`../shared/skillbench/`, or `SKILLBENCH_DIR`)
defines it: per sentence the gold set is the union of its labels without `LABEL NOT PRESENT`
and `UNDERSPECIFIED`; sentences with no gold label are skipped; RP@K = gold labels in the top
K / min(K, gold labels), averaged; MRR = mean of 1 / rank of the first gold label (0 if none
in the ten). The engine's input is title = sentence, description empty (title empty and
description = sentence gives the same lists; checked and reported). Gold labels are ESCO 1.1.0
preferred labels, mapped to catalog ids by the v1.2.0 preferred label, else through the ESCO
v1.1.1 preferred label to its UUID (stable across versions; bench/data/); a label mapped by
neither stays in the gold set as an id no engine can return, a miss (listed in the results).

**Latency**, one client, catalog and engine warm: every sentence of both splits (a) in process
(`workhistory.skills.suggest`), (b) through `POST /skills/suggest.json` under gunicorn (one
sync worker, the production command; a real session and CSRF token), each `REPEAT` times;
autocomplete (c) through the data function (`skills.search`, PostgreSQL) and (d) through
`GET /skills.json`, for every prefix of 2+ characters of `TYPED` (a person typing).
**Memory**: the worker's resident size after a request that needs no engine, then after the
first suggestion (the engine built) and after all calls.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

from bench import common
from bench.memory import _kib
from bench.server import fetch, gunicorn, seeded_database, worker_pids

SKILLBENCH = Path(os.environ.get("SKILLBENCH_DIR") or common.ROOT.parent / "shared" / "skillbench")
SPLITS = {"TECH": "tech_validation_annotations.csv", "HOUSE": "house_validation_annotations.csv"}
SKIP = {"LABEL NOT PRESENT", "UNDERSPECIFIED"}
V111 = common.ROOT / "bench" / "data" / "esco_v1.1.1_preferred_labels.json.gz"
REPEAT = 3
# What a person might type into the skills box, letter by letter (every prefix from 2 letters).
TYPED = ["sql", "python", "data analysis", "statistcs", "project management", "excel",
         "forecasting", "customer service", "machine learning", "resume", "kubernetes",
         "teach", "accounting", "manage staff", "javascript", "nursing care"]


def load_split(path: Path) -> list[tuple[str, set[str]]]:
    """Sentences in file order with their gold label sets (empty sets kept, skipped later)."""
    gold: dict[str, set[str]] = {}
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            labels = gold.setdefault(r["sentence"], set())
            if r["label"] not in SKIP:
                labels.add(r["label"])
    return list(gold.items())


def label_map(engine) -> tuple[dict[str, str], dict[str, str]]:
    """Gold label -> catalog id: by v1.2.0 preferred label, and by v1.1.1 label via UUID."""
    by_pref: dict[str, str] = {}
    for cid, label in zip(engine.ids, engine.labels, strict=True):
        by_pref.setdefault(label, cid)
    ids = set(engine.ids)
    by_old: dict[str, str] = {}
    for uuid, label in sorted(json.loads(gzip.decompress(V111.read_bytes())).items()):
        if "esco:" + uuid in ids:
            by_old.setdefault(label, "esco:" + uuid)
    return by_pref, by_old


def evaluate(engine, data, by_pref, by_old, mode: str = "title") -> dict:
    rp5, rp10, rr = [], [], []
    for sentence, labels in data:
        if not labels:
            continue
        gold = {by_pref.get(g) or by_old.get(g) or f"unmapped:{g}" for g in labels}
        text = (sentence, "") if mode == "title" else ("", sentence)
        got = [s.id for s in engine.suggest(*text, limit=10)]
        rp5.append(len(gold & set(got[:5])) / min(5, len(gold)))
        rp10.append(len(gold & set(got[:10])) / min(10, len(gold)))
        rr.append(next((1.0 / (k + 1) for k, g in enumerate(got) if g in gold), 0.0))
    return {"RP@5": round(100 * statistics.fmean(rp5), 1),
            "RP@10": round(100 * statistics.fmean(rp10), 1),
            "MRR": round(100 * statistics.fmean(rr), 1), "sentences": len(rp5)}


def mapping(data, by_pref, by_old) -> dict:
    labels = {g for _, gs in data for g in gs}
    direct = {g for g in labels if g in by_pref}
    old = {g for g in labels - direct if g in by_old}
    return {"gold_labels": len(labels), "by_v1.2_label": len(direct), "by_v1.1.1_uuid": len(old),
            "unmapped": sorted(labels - direct - old)}


def quality(engine) -> dict:
    by_pref, by_old = label_map(engine)
    out = {}
    for name, filename in SPLITS.items():
        data = load_split(SKILLBENCH / filename)
        title = evaluate(engine, data, by_pref, by_old, "title")
        out[name] = {**title, "description_input_same": evaluate(
            engine, data, by_pref, by_old, "description") == title,
            "mapping": mapping(data, by_pref, by_old)}
    return out


def timings(call, inputs, repeat: int = REPEAT) -> dict:
    for item in inputs:  # warm-up
        call(item)
    times = []
    for _ in range(repeat):
        for item in inputs:
            start = time.perf_counter()
            call(item)
            times.append((time.perf_counter() - start) * 1000.0)
    return {"calls": len(times), "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(common.percentile(times, 95), 2),
            "max_ms": round(max(times), 2)}


def prefixes() -> list[str]:
    return [word[:n] for word in TYPED for n in range(2, len(word) + 1)]


def in_process(sentences: list[str], url: str) -> dict:
    from workhistory import skills as engine_api
    from workhistory.data import skills
    from workhistory.data.db import Database

    start = time.perf_counter()
    engine = engine_api.get_engine()
    built = time.perf_counter() - start
    result = {"engine_build_seconds": round(built, 2), "quality": quality(engine),
              "suggest": timings(lambda s: engine_api.suggest(s, ""), sentences)}
    db = Database(url, max_size=1)
    db.open()
    try:
        actor = _bench_actor(url)  # the benchmark's user (bench/server.py), 50 artifacts
        result["autocomplete"] = timings(lambda q: skills.search(db, actor, q), prefixes())
    finally:
        db.close()
    return result


def _bench_actor(url: str):
    import psycopg

    from workhistory.data.db import Actor

    with psycopg.connect(url) as conn:
        tenant, user = conn.execute("SELECT tenant_id, id FROM users LIMIT 1").fetchone()
    return Actor(tenant, user)


def over_http(sentences: list[str], url: str, artifact_id: str) -> dict:
    # SKILLS_WARM=0: the engine is built by the first suggestion, so its cost shows.
    with gunicorn(url, artifact_id, workers=1, env={"SKILLS_WARM": "0"}) as served:
        (worker,) = worker_pids(served.master_pid)
        headers = {"Cookie": served.cookie, "X-CSRFToken": served.csrf,
                   "Content-Type": "application/x-www-form-urlencoded"}
        fetch(served.base + "/readyz")
        rss_before = _kib(worker, "VmRSS", "status")

        def suggest(sentence: str, timeout: float = 10) -> None:
            body = urllib.parse.urlencode({"title": sentence}).encode()
            status, _ = fetch(served.base + "/skills/suggest.json", data=body, headers=headers,
                              timeout=timeout)
            assert status == 200

        start = time.perf_counter()
        # The first builds the engine: about 2 s on a quiet machine, much more on a busy one.
        suggest(sentences[0], timeout=120)
        first = time.perf_counter() - start
        rss_warm = _kib(worker, "VmRSS", "status")
        suggest_http = timings(suggest, sentences)

        def search(q: str) -> None:
            status, _ = fetch(served.base + "/skills.json?" + urllib.parse.urlencode({"q": q}),
                              headers={"Cookie": served.cookie})
            assert status == 200

        search_http = timings(search, prefixes())
        rss_after = _kib(worker, "VmRSS", "status")
    return {"first_suggestion_seconds": round(first, 2), "suggest": suggest_http,
            "autocomplete": search_http,
            "worker_rss_mib": {"before_engine": round(rss_before / 1024, 1),
                               "engine_warm": round(rss_warm / 1024, 1),
                               "after_all_calls": round(rss_after / 1024, 1)},
            "worker_growth_mib": round((rss_warm - rss_before) / 1024, 1),
            "worker_growth_after_calls_mib": round((rss_after - rss_before) / 1024, 1)}


ABLATION = [  # name, engine parameters, word vectors, curated aliases
    ("full engine", {}, True, True),
    ("- word vectors (lexical only)", {"vec": 0.0}, False, True),
    ("- label coverage", {"cover": 0.0}, True, True),
    ("- BM25F", {"lex": 0.0}, True, True),
    ("- curated aliases", {}, True, False),
    ("- filler down-weighting", {"filler": 1.0}, True, True),
    ("- window cosine (whole text only)", {"win_share": 0.0}, True, True),
    ("- phrase matches", {"phrase": 0.0}, True, True),
    ("- alt labels in concept vectors", {"alt_vec": 0.0}, True, True),
    ("vectors only", {"phrase": 0.0, "cover": 0.0, "lex": 0.0}, True, True),
    ("BM25F only", {"vec": 0.0, "phrase": 0.0, "cover": 0.0}, False, True),
]


def ablation() -> list[dict]:
    from workhistory.skills import CATALOG, VECTORS
    from workhistory.skills.engine import SkillEngine

    rows = []
    for name, params, vectors, aliases in ABLATION:
        engine = SkillEngine.from_files(CATALOG, VECTORS if vectors else None, params,
                                        None if aliases else [])
        q = quality(engine)
        rows.append({"variant": name, **{s: {k: q[s][k] for k in ("RP@5", "MRR")}
                                          for s in SPLITS}})
        print(f"{name:36} TECH {q['TECH']['RP@5']:5.1f}  HOUSE {q['HOUSE']['RP@5']:5.1f}",
              flush=True)
    return rows


def run() -> dict:
    sentences = [s for filename in SPLITS.values() for s, _ in load_split(SKILLBENCH / filename)]
    with seeded_database() as (url, artifact_id):
        result = {"skillbench": str(SKILLBENCH), "sentences_timed": len(sentences),
                  "typed_prefixes": len(prefixes()),
                  "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
                  "in_process": in_process(sentences, url),
                  "http": over_http(sentences, url, artifact_id)}
    common.write_result("skills", result)
    return result


def main() -> None:
    if "--ablation" in sys.argv[1:]:
        common.write_result("skills-ablation", {"variants": ablation()})
        return
    print(json.dumps(run(), indent=1))


if __name__ == "__main__":
    main()
