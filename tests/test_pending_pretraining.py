"""A fully cached sweep starts no pretraining task (and so no worker process): only cells
that will train and whose model may carry a pretrain hook are handed to it."""
from __future__ import annotations

from zoo import tracking
from zoo.cells import CellSpec, resolve_cell
from zoo.sweep.pretrain import pending_pretraining


def _cells():
    specs = [CellSpec("sentiment", "mr", m, 0.1, 1)
             for m in ("elmo_frozen_small", "cnn_small", "tfidf_logreg", "cnn_small_ort")]
    return [resolve_cell(s, "f" * 64, code_version="v1") for s in specs]


def test_only_uncached_neural_torch_cells_may_pretrain(monkeypatch):
    cells = _cells()
    elmo = next(c for c in cells if c.spec.model == "elmo_frozen_small")
    monkeypatch.setattr(tracking, "finished_cell_keys", lambda exp_id: set())
    pending = [s.model for s in pending_pretraining(cells, "0")]
    assert pending == ["elmo_frozen_small", "cnn_small"]  # no classical model, no ONNX twin
    monkeypatch.setattr(tracking, "finished_cell_keys", lambda exp_id: {c.key for c in cells})
    assert pending_pretraining(cells, "0") == []  # all cached: nothing to pretrain
    assert [s.model for s in pending_pretraining(cells, "0", refresh=True)] == pending
    monkeypatch.setattr(tracking, "finished_cell_keys", lambda exp_id: {elmo.key})
    assert [s.model for s in pending_pretraining(cells, "0")] == ["cnn_small"]
