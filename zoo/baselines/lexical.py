"""Word-by-word translation with an IBM Model 1 dictionary: the classical translation baseline.

How it is learned: IBM Model 1 (Brown et al. 1993) with fast_align's diagonal alignment
prior (Dyer et al. 2013), in the direction p(source | target) so that the empty word NULL
sits on the target side:

    t(e | f) for source word e, target word f (or NULL, one per sentence), uniform start;
    E-step: source token i of I spreads one count over the target words j of J (and NULL)
            in proportion to t(e_i | f_j) * prior(i, j);
            prior(i, NULL) = p0, prior(i, j) = (1 - p0) * softmax_j(-tension * |i/I - j/J|);
    M-step: t(e | f) = expected count(e, f) / expected count(f).

The prior is fixed (tension 4, p0 0.08, fast_align's defaults), not learned. Without it,
words that always co-occur ("a ... runs" / "un ... corre") are indistinguishable to Model 1;
English-Spanish word order is mostly monotone, so the diagonal separates them.
The dictionary turns this around: e -> argmax_f of the expected count(e, f) from the last
E-step, the posterior p(f | e) up to a constant. A source word whose best partner is NULL
(English "do" in questions, say) is dropped from the output; a source word outside the
capped vocabulary, or whose best partner is the rare-word bucket, is copied through (mostly
names and numbers). The number of EM iterations (1..`iterations`) is chosen by dev BLEU
(chrF on ties). Output: one target word per kept source word, in source order.
All of EM is vectorised numpy over (source token, target position) pairs; nothing is pickled.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from zoo.data.types import Example
from zoo.model_catalog import DataInfo, register_model

NULL, RARE = 0, 1  # target ids: the empty word and the rare-word bucket (source: RARE = 0)
FORMAT = "zoo-lexical-translation/1"
TENSION, P_NULL = 4.0, 0.08


def _word_ids(sentences: Sequence[Sequence[str]], cap: int, first: int) -> dict[str, int]:
    counts = Counter(w for s in sentences for w in s)
    words = sorted(counts, key=lambda w: (-counts[w], w))[:cap]  # deterministic order
    return {w: i + first for i, w in enumerate(words)}


def _starts(lengths: np.ndarray) -> np.ndarray:
    return np.cumsum(lengths) - lengths


class _Pairs:
    """Every (source token, target position) pair of the corpus as flat arrays, for EM."""

    def __init__(self, src: list[np.ndarray], tgt: list[np.ndarray], n_tgt: int):
        src_lens = np.array([len(s) for s in src], np.int64)
        tgt_lens = np.array([len(t) + 1 for t in tgt], np.int64)  # + NULL at position 0
        sent = np.repeat(np.arange(len(src)), src_lens)  # sentence of each source token
        src_flat = np.concatenate(src).astype(np.int64)
        tgt_flat = np.concatenate([np.concatenate([[NULL], t]) for t in tgt]).astype(np.int64)
        reps = tgt_lens[sent]  # partners per source token
        self.token = np.repeat(np.arange(len(src_flat)), reps)  # source token of each pair
        j = np.arange(reps.sum()) - np.repeat(_starts(reps), reps)  # target position, 0 = NULL
        pair_sent = sent[self.token]
        e = src_flat[self.token]
        f = tgt_flat[_starts(tgt_lens)[pair_sent] + j]
        codes, self.pair = np.unique(e * n_tgt + f, return_inverse=True)  # distinct (e, f)
        self.e, self.f = codes // n_tgt, codes % n_tgt
        self.n_tokens, self.n_tgt = len(src_flat), n_tgt
        i = np.arange(len(src_flat)) - _starts(src_lens)[sent] + 1  # 1-based source position
        rel_j = j / np.maximum(tgt_lens[pair_sent] - 1, 1)  # j / J
        self.prior = self._diagonal(i[self.token] / src_lens[pair_sent], rel_j, j == 0)

    def _diagonal(self, rel_i: np.ndarray, rel_j: np.ndarray, is_null: np.ndarray) -> np.ndarray:
        """fast_align's alignment prior, normalised over each source token's partners."""
        w = np.where(is_null, 0.0, np.exp(-TENSION * np.abs(rel_i - rel_j)))  # (M,)
        z = np.bincount(self.token, weights=w, minlength=self.n_tokens)
        return np.where(is_null, P_NULL, (1.0 - P_NULL) * w / np.maximum(z[self.token], 1e-12))

    def em_step(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One EM iteration: returns the new t(e | f) and the expected counts c(e, f)."""
        p = t[self.pair] * self.prior  # (M,) unnormalised alignment posterior
        z = np.bincount(self.token, weights=p, minlength=self.n_tokens)  # per source token
        counts = np.bincount(self.pair, weights=p / z[self.token], minlength=len(t))
        totals = np.bincount(self.f, weights=counts, minlength=self.n_tgt)  # count(f)
        return counts / totals[self.f], counts


class LexicalTranslator:
    """IBM Model 1 word dictionary, word-by-word output (see the module docstring)."""

    kind = "classical"

    def __init__(self, iterations: int = 8, max_vocab: int = 20000):
        self.iterations = iterations
        self.max_vocab = max_vocab
        self.dictionary: dict[str, str | None] = {}  # None = aligned to NULL (dropped)
        self.chosen_iterations = 0

    def fit(self, train: Sequence[Example], dev: Sequence[Example]) -> dict[str, float]:
        """Run EM on `train`; keep the iteration whose dictionary scores best on `dev`."""
        from zoo.evaluate import translation_metrics  # sacreBLEU loads to fit, not on import

        src_ids = _word_ids([ex.tokens for ex in train], self.max_vocab, first=1)
        tgt_ids = _word_ids([ex.target for ex in train], self.max_vocab, first=2)
        src_words = ["<rare>"] + sorted(src_ids, key=src_ids.get)
        tgt_words = ["<null>", "<rare>"] + sorted(tgt_ids, key=tgt_ids.get)
        # Rare words stay in place as a bucket so that the positions the prior sees are true.
        src = [np.array([src_ids.get(w, 0) for w in ex.tokens], np.int64) for ex in train]
        tgt = [np.array([tgt_ids.get(w, RARE) for w in ex.target], np.int64) for ex in train]
        pairs = _Pairs(src, tgt, len(tgt_words))
        t = np.ones(len(pairs.e))  # uniform start (any constant: the E-step normalises)
        best = ((-1.0, -1.0), 0, {})
        for iteration in range(1, self.iterations + 1):
            t, counts = pairs.em_step(t)
            self.dictionary = self._dictionary(pairs, counts, src_words, tgt_words)
            dev_scores = translation_metrics(dev, self.predict(dev), ci=False).values
            # chrF breaks BLEU ties (BLEU is 0 on sets with no 4-gram match at all).
            score = (dev_scores["bleu"], dev_scores["chrf"])
            if score > best[0]:
                best = (score, iteration, self.dictionary)
        (bleu, chrf), self.chosen_iterations, self.dictionary = best
        return {"dev_bleu_at_selection": bleu, "dev_chrf_at_selection": chrf,
                "em_iterations": float(self.chosen_iterations)}

    @staticmethod
    def _dictionary(pairs: _Pairs, score: np.ndarray, src_words: list[str],
                    tgt_words: list[str]) -> dict[str, str | None]:
        """Best target word per source word: sort by (e, -score), take each group's first."""
        order = np.lexsort((-score, pairs.e))
        first = order[np.r_[True, pairs.e[order][1:] != pairs.e[order][:-1]]]
        out: dict[str, str | None] = {}
        for e, f in zip(pairs.e[first].tolist(), pairs.f[first].tolist()):
            if e == 0:
                continue  # the source rare-word bucket: such words are copied through
            word = src_words[e]
            out[word] = None if f == NULL else (word if f == RARE else tgt_words[f])
        return out

    def predict(self, examples: Sequence[Example]) -> list[tuple[str, ...]]:
        out = []
        for ex in examples:
            words = (self.dictionary.get(w, w) for w in ex.tokens)  # unseen word: copy it
            out.append(tuple(w for w in words if w is not None))
        return out

    def num_params(self) -> int:
        return len(self.dictionary)  # one stored target choice per source word

    def save(self, path: Path) -> None:
        # Plain JSON: the whole model is a word table, and loading it executes nothing.
        payload = {"format": FORMAT, "em_iterations": self.chosen_iterations,
                   "dictionary": dict(sorted(self.dictionary.items()))}
        Path(path).write_text(json.dumps(payload, ensure_ascii=False))

    def load(self, path: Path) -> None:
        payload = json.loads(Path(path).read_text())
        if payload.get("format") != FORMAT:
            raise ValueError(f"{path} is not a {FORMAT} file")
        self.dictionary = payload["dictionary"]
        self.chosen_iterations = int(payload["em_iterations"])


@register_model("lexical_translation", family="lexical", tasks=("translation",), kind="classical")
def lexical_translation(info: DataInfo):
    """IBM Model 1 word dictionary (EM, iterations chosen on dev BLEU), word-by-word output."""
    return LexicalTranslator()
