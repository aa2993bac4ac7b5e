"""Per-sentence cache of a frozen encoder's outputs, so training computes them once.

A frozen biLM (eval mode: no dropout, no gradient) maps a sentence to the same layers every
epoch, and with packed LSTMs the result does not depend on the other sentences of the batch.
Caching by the sentence's input (for the biLM, its words' characters) turns every epoch
after the first into task-layer work only: elmo_frozen_small on wnut16, 1 thread, 9.4 s
an epoch without, 4.8 s with (benchmarks/cell_profile.py, 2026-12-03).

Keys are the input rows themselves, so a sentence whose input changes is simply a miss.
Memory is bounded by `max_bytes`; past it, misses are computed and not stored.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch
from filelock import FileLock
from safetensors.torch import load_file, save_file

# (b, T, ...) rows, (b, T) mask -> (L, b, T, D)
Compute = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
DEFAULT_MAX_BYTES = 2 * 2**30


class FeatureCache:
    """`dtype`: how rows are stored (float16 halves the memory of a wide encoder's layers;
    they are returned in the dtype `compute` gives)."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, dtype: torch.dtype | None = None):
        self.max_bytes = max_bytes
        self.dtype = dtype
        self._rows: dict[bytes, torch.Tensor] = {}  # key -> (L, len, D)
        self.bytes = 0
        self.hits = self.misses = 0

    def clear(self) -> None:
        self._rows.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._rows)

    @torch.no_grad()
    def layers(self, rows: torch.Tensor, mask: torch.Tensor, compute: Compute) -> torch.Tensor:
        """(B, T, ...) input rows + (B, T) mask -> (L, B, T, D): cached sentences where
        present, `compute` for the rest (one call on the missing sentences only)."""
        lengths = mask.sum(1).clamp(min=1).tolist()  # (B,) as ints
        host = rows.cpu().numpy()
        keys = [host[i, :n].tobytes() for i, n in enumerate(lengths)]

        def compute_rows(index: torch.Tensor) -> torch.Tensor:
            index = index.to(rows.device)
            return compute(rows[index], mask[index])  # (L, b, T, D)

        return self.lookup(keys, lengths, rows.shape[1], compute_rows)

    @torch.no_grad()
    def lookup(self, keys: list[bytes], lengths: list[int], width: int,
               compute_rows: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """One key and word count per sentence of a batch -> (L, B, width, D).
        `compute_rows(index)` computes the layers of the batch rows at `index` (b,)."""
        missing = [i for i, k in enumerate(keys) if k not in self._rows]
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        fresh, position = None, {i: j for j, i in enumerate(missing)}
        if missing:
            fresh = compute_rows(torch.tensor(missing))  # (L, b, width, D)
            for j, i in enumerate(missing):
                self._store(keys[i], fresh[:, j, : lengths[i]])
            if len(missing) == len(keys):
                return fresh  # rows in batch order already (the first epoch's usual case)
        out = None
        dtype = fresh.dtype if fresh is not None else None
        for i, key in enumerate(keys):
            row = self._rows.get(key)
            if row is None:  # not stored (over the memory budget): take it from `fresh`
                row = fresh[:, position[i], : lengths[i]]
            if out is None:  # (L, B, T, D), padding positions zero
                out = row.new_zeros(row.shape[0], len(keys), width, row.shape[-1],
                                    dtype=dtype or (torch.float32 if self.dtype else row.dtype))
            out[:, i, : lengths[i]] = row
        return out

    def _store(self, key: bytes, row: torch.Tensor) -> None:
        stored = row.to(self.dtype) if self.dtype is not None else row
        size = stored.numel() * stored.element_size()
        if self.bytes + size <= self.max_bytes:
            # a copy, so the batch tensor can be freed
            self._rows[key] = stored.clone() if stored is row else stored
            self.bytes += size

    # ------------------------------------------------------------------ on disk
    # Rows shared across cells: every training size and seed of a dataset reads the same
    # sentences through the same frozen encoder, so a file keyed by the encoder's checkpoint
    # and the data computes each sentence once per sweep, not once per cell. safetensors:
    # no pickle is read.

    def save(self, path: Path) -> None:
        """Merge this cache's rows into `path` (under a file lock; atomic replace)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock"):
            merged = _read_rows(path)
            added = {k: v for k, v in self._rows.items() if k not in merged}
            if not added and path.is_file():
                return
            merged.update(added)
            if not merged:
                return
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            save_file(_pack(merged), str(tmp))
            os.replace(tmp, path)

    def load(self, path: Path) -> int:
        """Add the rows stored in `path` (within the memory budget); returns how many."""
        if not path.is_file():
            return 0
        with FileLock(str(path) + ".lock"):
            rows = _read_rows(path)
        before = len(self._rows)
        for key, row in rows.items():
            if key not in self._rows:
                self._store(key, row)
        return len(self._rows) - before


def _pack(rows: dict[bytes, torch.Tensor]) -> dict[str, torch.Tensor]:
    keys = list(rows)
    key_bytes = torch.frombuffer(bytearray(b"".join(keys)), dtype=torch.uint8) if keys \
        else torch.zeros(0, dtype=torch.uint8)
    key_ends = torch.tensor([len(k) for k in keys], dtype=torch.int64).cumsum(0)
    lengths = torch.tensor([rows[k].shape[1] for k in keys], dtype=torch.int64)
    # (L, sum of lengths, D): every row's words side by side
    states = torch.cat([rows[k] for k in keys], dim=1).contiguous()
    return {"key_bytes": key_bytes, "key_ends": key_ends, "row_lengths": lengths,
            "states": states}


def _read_rows(path: Path) -> dict[bytes, torch.Tensor]:
    if not path.is_file():
        return {}
    packed = load_file(str(path))
    raw = packed["key_bytes"].numpy().tobytes()
    ends = packed["key_ends"].tolist()
    starts = [0, *ends[:-1]]
    rows = torch.split(packed["states"], packed["row_lengths"].tolist(), dim=1)
    return {raw[a:b]: row for a, b, row in zip(starts, ends, rows)}
