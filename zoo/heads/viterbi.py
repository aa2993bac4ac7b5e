"""Batched Viterbi decoding for allennlp-light's `ConditionalRandomField`, in NumPy.

Why not `ConditionalRandomField.viterbi_tags`: it decodes sentence by sentence, each through
`allennlp.nn.util.viterbi_decode` over a (T + 2, K + 2) lattice padded with start/end
sentinels, one small torch op per step. At batch 1 on a CPU that is about 2 ms of a
bilstm_crf_small prediction (benchmarks/runtime_latency.py), more than the BiLSTM itself.
Here the whole batch advances together, one (B, K, K) max per time step, in NumPy: for
K ~ 20 tags a NumPy op costs about a microsecond where a torch op costs several.

The potentials are the CRF's own, with the same constraint rule as `viterbi_tags`:
disallowed transitions score -10000, so the paths are the ones allennlp-light finds
(tests/test_viterbi.py checks it path for path).
"""
from __future__ import annotations

import numpy as np
from allennlp_light.modules.conditional_random_field.conditional_random_field import (
    ConditionalRandomField,
)

_DISALLOWED = -10000.0  # the score allennlp-light gives a transition its constraints forbid


def crf_potentials(crf: ConditionalRandomField) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(K, K) transitions from -> to, (K,) start and (K,) end scores, constraints applied."""
    k = crf.num_tags
    allowed = crf._constraint_mask.detach().cpu().numpy()  # (K + 2, K + 2); K = start, K+1 = end
    transitions = crf.transitions.detach().cpu().numpy()  # (K, K)
    if crf.include_start_end_transitions:
        start = crf.start_transitions.detach().cpu().numpy()  # (K,)
        end = crf.end_transitions.detach().cpu().numpy()  # (K,)
    else:
        start, end = np.zeros(k, np.float32), np.zeros(k, np.float32)

    def constrain(score: np.ndarray, ok: np.ndarray) -> np.ndarray:
        return np.where(ok > 0, score, _DISALLOWED).astype(np.float32)

    return (constrain(transitions, allowed[:k, :k]), constrain(start, allowed[k, :k]),
            constrain(end, allowed[:k, k + 1]))


def viterbi_paths(logits: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                  start: np.ndarray, end: np.ndarray) -> list[list[int]]:
    """Best tag path of each sentence; `logits` (B, T, K) with sentence i in rows :lengths[i]."""
    batch, steps, tags = logits.shape
    ragged = bool((lengths < steps).any())
    into = np.ascontiguousarray(transitions.T)[None]  # (1, K to, K from): reduce the last axis
    score = start[None, :] + logits[:, 0]  # (B, K)
    backpointers = np.zeros((max(steps - 1, 0), batch, tags), np.int64)  # (T-1, B, K)
    candidates = np.empty((batch, tags, tags), np.float32)  # (B, K to, K from)
    for t in range(1, steps):
        np.add(into, score[:, None, :], out=candidates)
        backpointers[t - 1] = candidates.argmax(2)  # (B, K to): the best tag to come from
        advanced = np.maximum.reduce(candidates, axis=2) + logits[:, t]  # (B, K); no wrapper
        # A finished sentence keeps its score: its path ends at its own last token.
        score = np.where((t < lengths)[:, None], advanced, score) if ragged else advanced
    last = (score + end[None, :]).argmax(1)  # (B,)
    paths = []
    for i, n in enumerate(lengths.tolist()):
        tag = int(last[i])
        path = [tag]
        for t in range(n - 2, -1, -1):  # backpointers[t] maps a tag at t + 1 to one at t
            tag = int(backpointers[t, i, tag])
            path.append(tag)
        paths.append(path[::-1])
    return paths

