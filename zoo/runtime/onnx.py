"""ONNX export and ONNX Runtime predictors for the `onnx` / `onnx_q8` runtime variants.

`export_onnx` writes `model.onnx`: the model's scores from the inputs its encoder reads
(`_Scores`, through the model's own `encode_batch`): (ids, mask), (ids, mask, chars) for a
model with character features, or (pieces, starts, mask) for a subword model
(zoo.encoders.wordpieces); classifier logits (B, C) or tagger emissions (B, T, K); dynamic
batch, word and piece axes. It checks the graph against eager torch on synthetic batches of
mixed lengths with padding (and batch 1), and for `onnx_q8` writes `model.q8.onnx` (ONNX
Runtime dynamic quantization: int8 weights, activations quantized per call). The results go
to `onnx_check.json` in the model folder.

Packed sequences: the TorchScript exporter (`dynamo=False`) maps `pack_padded_sequence(...,
enforce_sorted=False)` + `nn.LSTM` + `pad_packed_sequence` to a sort (TopK/Gather), an ONNX
`LSTM` node fed with `sequence_lens`, and the inverse permutation, so the exported graph keeps
the padding invariance of the eager encoder (checked here on every export, and in the tests).

Attention: BERT's `F.scaled_dot_product_attention` with a boolean key mask exports as is at
opset 17 (the exporter writes Where(mask, 0, -inf) + MatMul + Softmax, with a guard for fully
masked rows); all-MiniLM-L6-v2 matched eager to 4.8e-7 on the check batches (2026-12-07).
A subword model's ORT predictor builds pieces with the tokenizer saved in its folder.

`load_ort_predictor` runs the graph with ONNX Runtime's CPU provider and decodes as the eager
model does: argmax, or the CRF head's batched Viterbi (zoo.heads.viterbi, NumPy) over the
ONNX emissions.

CPU only, on purpose: these twins measure CPU serving. A model trained on a GPU is exported
from a CPU copy (the graph and its check then match what ONNX Runtime runs), and the CRF
potentials of an ORT predictor are read to the CPU once.
"""
from __future__ import annotations

import copy
import json
import logging
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from zoo.batching import Batch, Collator, predict_in_batches
from zoo.data.types import Example
from zoo.device import module_device
from zoo.errors import ZooError
from zoo.heads.viterbi import crf_potentials, viterbi_paths

OPSET = 17  # supported by the TorchScript exporter and by every onnxruntime >= 1.14
FLOAT_FILE = "model.onnx"
Q8_FILE = "model.q8.onnx"
CHECK_FILE = "onnx_check.json"
# Float export must match eager to float rounding: |ort - eager| <= ATOL + RTOL * max|eager|.
ATOL = 1e-4
RTOL = 1e-5
# U8S8: uint8 activations x int8 weights (symmetric weights, zero point 0). It is ONNX
# Runtime's default and its fast x86 path (AVX2 / AVX512-VNNI integer dot products), and its
# DynamicQuantizeLSTM, MatMulInteger, ConvInteger and Gather (embedding) kernels all run it.
Q8_WEIGHT_TYPE = "QInt8"


def _not_from_quantizer(record: logging.LogRecord) -> bool:
    # The quantizer logs (to the root logger) a WARNING for every int64 shape tensor it
    # cannot type-infer and therefore leaves unquantized, which is what it should do.
    return not ("onnxruntime" in record.pathname and "quantization" in record.pathname
                and record.levelno <= logging.WARNING)


class OnnxExportError(ZooError):
    """The exported graph does not reproduce the eager model (or could not be exported)."""


def _on_cpu(module: torch.nn.Module) -> torch.nn.Module:
    """`module` itself when it is on the CPU, else a CPU copy (the original stays put)."""
    if module_device(module).type == "cpu":
        return module
    return copy.deepcopy(module).cpu()


def _is_tagger(model: torch.nn.Module) -> bool:
    from zoo.encoder_head import SequenceTagger

    return isinstance(model, SequenceTagger)


# The graph's input names, in order: a word model's, or a subword model's.
WORD_INPUTS = ("ids", "mask", "chars")
SUBWORD_INPUTS = ("pieces", "starts", "mask")
_AXES = {"ids": {0: "batch", 1: "words"}, "mask": {0: "batch", 1: "words"},
         "chars": {0: "batch", 1: "words"}, "starts": {0: "batch", 1: "words"},
         "pieces": {0: "batch", 1: "pieces"}}


def _inputs(batch: Batch) -> tuple[torch.Tensor, ...]:
    """The graph's inputs from a Batch: (pieces, starts, mask) for a subword model, else
    (ids, mask), and chars when the model reads them."""
    if batch.pieces is not None:
        return batch.pieces, batch.starts, batch.mask
    return (batch.ids, batch.mask) if batch.chars is None else (batch.ids, batch.mask,
                                                                  batch.chars)


class _Scores(torch.nn.Module):
    """What the graph computes: its inputs -> logits (B, C) or emissions (B, T, K).

    It goes through the model's own `encode_batch`, so word, character and subword models
    share one path with training and eager prediction (a subword model's `forward(ids,
    mask)` does not read pieces)."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model
        self.tagger = _is_tagger(model)
        self.subwords = getattr(model, "subwords", None) is not None
        self.names = SUBWORD_INPUTS if self.subwords else WORD_INPUTS
        # A new Module is in training mode; the exporter switches the wrapper to eval and
        # back, which would turn the model's dropout on again for the check that follows.
        self.train(model.training)

    def mask(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        return inputs[self.names.index("mask")]  # (B, T) real words

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        if self.subwords:
            pieces, starts, mask = inputs
            # Batch requires `ids`; a subword encoder never reads them (no graph input).
            batch = Batch(ids=starts, mask=mask, pieces=pieces, starts=starts)
        else:
            batch = Batch(*inputs[:2], chars=inputs[2] if len(inputs) > 2 else None)
        states = self.model.encode_batch(batch)  # (B, T, D)
        if self.tagger:
            return self.model.head.out(states)  # (B, T, K) emission scores
        return self.model.head(states, batch.mask)  # (B, C)


def _check_batches(collator: Collator, seed: int = 0) -> list[tuple[torch.Tensor, ...]]:
    """Synthetic graph inputs shaped like real input: mixed lengths, padding, batch 1.
    (ids, mask), plus random bytes of random word lengths when the collator builds
    characters; (pieces, starts, mask) with 1 to 3 pieces per word for a subword model."""
    gen = torch.Generator().manual_seed(seed)
    vocab_size = max(2, len(collator.vocab))
    max_len = max(1, collator.max_len or 64)
    if collator.subwords is not None:  # [CLS] + at least a piece per word + [SEP] must fit
        max_len = max(1, min(max_len, collator.subwords.max_pieces - 2))
    shapes = [[1], [min(22, max_len)], [max_len], [3, min(17, max_len), 1],
              [min(22, max_len), min(9, max_len), max_len, 2, min(30, max_len)],
              torch.randint(1, max_len + 1, (16,), generator=gen).tolist()]
    batches = []
    for lengths in shapes:
        width = max(lengths)
        mask = torch.arange(width).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)  # (B, T)
        if collator.subwords is not None:
            batches.append(_check_pieces(mask, collator.subwords, gen))
            continue
        ids = torch.randint(1, vocab_size, (len(lengths), width), generator=gen) \
            if vocab_size > 1 else torch.ones(len(lengths), width, dtype=torch.long)
        inputs = (ids.masked_fill(~mask, 0), mask)
        if collator.max_chars:
            inputs += (_check_chars(mask, collator.max_chars, gen),)
        batches.append(inputs)
    return batches


def _check_pieces(mask: torch.Tensor, subwords,
                  gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    """(B, S) pieces, (B, T) starts, (B, T) mask laid out as WordPieces.batch lays them:
    [CLS], 1 to 3 random pieces per word, [SEP], then 0 (padding); a padding word starts at
    0, the [CLS] position."""
    b, t = mask.shape
    vocab = subwords.tokenizer.get_vocab_size()  # the real ids' range; the model reads it
    most = max(1, min(3, (subwords.max_pieces - 2) // t))  # the row fits the position table
    per_word = torch.randint(1, most + 1, (b, t), generator=gen) * mask  # (B, T), 0 on padding
    ends = 1 + per_word.cumsum(1)  # (B, T) one past each word's last piece
    starts = (ends - per_word) * mask  # (B, T)
    lengths = ends[:, -1] + 1  # (B,) with [CLS] and [SEP]
    s = int(lengths.max())
    pieces = torch.randint(1, max(2, vocab), (b, s), generator=gen)  # (B, S)
    pieces = pieces.masked_fill(torch.arange(s)[None, :] >= lengths[:, None], 0)  # (B, S)
    return pieces, starts, mask


def _check_chars(mask: torch.Tensor, max_chars: int, gen: torch.Generator) -> torch.Tensor:
    """(B, T, C) character ids: BOW, 1 to C-2 random bytes, EOW, padding; 0 off the mask."""
    from zoo.encoders.chars import BOW, EOW

    b, t = mask.shape
    chars = torch.zeros(b, t, max_chars, dtype=torch.long)  # (B, T, C)
    n_bytes = torch.randint(1, max(2, max_chars - 1), (b, t), generator=gen)  # (B, T)
    body = torch.randint(1, 257, (b, t, max_chars), generator=gen)  # (B, T, C)
    steps = torch.arange(max_chars)  # (C,)
    chars = torch.where((steps >= 1) & (steps <= n_bytes[..., None]), body, chars)
    chars[..., 0] = BOW
    chars.scatter_(2, (n_bytes + 1).clamp(max=max_chars - 1)[..., None], EOW)
    return chars * mask[..., None]  # (B, T, C)


def _compare(model: torch.nn.Module, session, batches) -> dict[str, float]:
    """Max abs difference ORT vs eager (real-token positions for taggers), argmax agreement."""
    scores = _Scores(model)
    max_diff = max_ref = 0.0
    agree = total = 0
    for inputs in batches:
        with torch.inference_mode():
            ref = scores(*inputs).numpy()
        got = _run(session, inputs)
        if got.shape != ref.shape:
            raise OnnxExportError(f"ONNX output shape {got.shape} != eager {ref.shape} for "
                                  f"inputs {[tuple(t.shape) for t in inputs]}")
        if scores.tagger:
            m = scores.mask(inputs).numpy()
            ref, got = ref[m], got[m]  # (N real tokens, K): padding outputs are unspecified
        max_diff = max(max_diff, float(np.abs(got - ref).max()))
        max_ref = max(max_ref, float(np.abs(ref).max()))
        agree += int((got.argmax(-1) == ref.argmax(-1)).sum())
        total += ref.shape[0]
    return {"max_abs_diff": max_diff, "max_abs_eager": max_ref,
            "argmax_agreement": agree / max(1, total)}


def _session(path: Path, threads: int = 1):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, int(threads))
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3  # errors only
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def _run(session, inputs: tuple[torch.Tensor, ...]) -> np.ndarray:
    wanted = {i.name for i in session.get_inputs()}  # an unused input may be pruned
    names = SUBWORD_INPUTS if "pieces" in wanted else WORD_INPUTS
    feeds = {name: t.numpy() for name, t in zip(names, inputs)}
    return session.run(None, {k: v for k, v in feeds.items() if k in wanted})[0]


# torch.onnx.export keeps its state in module globals (and warnings filters are global too):
# two cells exporting at once in one process (the flow's thread pool) break each other.
_EXPORT_LOCK = threading.Lock()


def _export_float(model: torch.nn.Module, collator: Collator, path: Path) -> None:
    inputs = _check_batches(collator, seed=1)[3]  # batch 3, mixed lengths, padded
    scores = _Scores(model)
    names = list(scores.names[: len(inputs)])
    out_axes = {0: "batch", 1: "words"} if scores.tagger else {0: "batch"}
    with _EXPORT_LOCK, warnings.catch_warnings():
        # The TorchScript exporter warns that it is legacy and traces Python-side checks of
        # pack/pad_packed_sequence; correctness is verified below on other shapes.
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                scores, inputs, str(path), dynamo=False, opset_version=OPSET,
                input_names=names, output_names=["scores"],
                dynamic_axes={**{name: _AXES[name] for name in names}, "scores": out_axes})
        except Exception as exc:
            raise OnnxExportError(f"ONNX export of {type(model).__name__} failed: "
                                  f"{type(exc).__name__}: {exc}") from exc


def _quantize(float_path: Path, q8_path: Path) -> None:
    """ONNX Runtime dynamic quantization of the float graph (int8 weights)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    root.addFilter(_not_from_quantizer)
    try:
        quantize_dynamic(float_path, q8_path, weight_type=getattr(QuantType, Q8_WEIGHT_TYPE))
    finally:
        root.removeFilter(_not_from_quantizer)
    # The quantizer leaves its shape-inference results (value_info) in the file: ONNX Runtime
    # infers them again, and they outweighed the int8 savings of a tiny model (19 of 84 KB).
    graph = onnx.load(str(q8_path))
    del graph.graph.value_info[:]
    onnx.save(graph, str(q8_path))


def export_onnx(model: torch.nn.Module, collator: Collator, folder: Path, runtime: str) -> Path:
    """Export the model's scores (`_Scores`) to `folder`, verify them, return the file the
    runtime uses.

    runtime "onnx": `model.onnx`; runtime "onnx_q8": also `model.q8.onnx` (returned).
    Raises OnnxExportError if the float graph differs from eager beyond the tolerance.
    """
    if runtime not in ("onnx", "onnx_q8"):
        raise ValueError(f"export_onnx: runtime must be onnx or onnx_q8, not {runtime!r}")
    import onnx
    import onnxruntime as ort

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = _on_cpu(model)  # trace and check on the CPU, where ONNX Runtime will run it
    was_training = model.training
    model.eval()
    try:
        float_path = folder / FLOAT_FILE
        _export_float(model, collator, float_path)
        onnx.checker.check_model(str(float_path))
        batches = _check_batches(collator, seed=0)
        shapes = [list(_Scores(model).mask(inputs).shape) for inputs in batches]  # (B, T)
        result = _compare(model, _session(float_path), batches)
        tolerance = ATOL + RTOL * result["max_abs_eager"]
        report: dict[str, object] = {
            "runtime": runtime, "opset": OPSET, "exporter": "torch.onnx.export(dynamo=False)",
            "torch_version": torch.__version__, "onnxruntime_version": ort.__version__,
            "check_batches": shapes,
            "float": {"file": FLOAT_FILE, **result, "tolerance": tolerance,
                      "bytes": float_path.stat().st_size},
        }
        used = float_path
        if result["max_abs_diff"] > tolerance or not np.isfinite(result["max_abs_diff"]):
            (folder / CHECK_FILE).write_text(json.dumps(report, indent=2))
            raise OnnxExportError(
                f"ONNX export of {type(model).__name__} differs from eager torch: max abs "
                f"difference {result['max_abs_diff']:.3g} > tolerance {tolerance:.3g} "
                f"(details in {folder / CHECK_FILE})")
        if runtime == "onnx_q8":
            q8_path = folder / Q8_FILE
            _quantize(float_path, q8_path)
            q8 = _compare(model, _session(q8_path), batches)
            # No tolerance: quantization changes outputs; accuracy is measured on test data.
            report["q8"] = {"file": Q8_FILE, "weight_type": Q8_WEIGHT_TYPE,
                            "method": "onnxruntime.quantization.quantize_dynamic", **q8,
                            "bytes": q8_path.stat().st_size}
            used = q8_path
        report["file"] = used.name
        (folder / CHECK_FILE).write_text(json.dumps(report, indent=2))
        return used
    finally:
        model.train(was_training)


class OrtPredictor:
    """Examples -> predictions through one ONNX Runtime session (created once)."""

    def __init__(self, path: Path, model: torch.nn.Module, collator: Collator, threads: int = 1):
        self.path = Path(path)
        self.collator = collator
        self.session = _session(self.path, threads)
        self.tagger = _is_tagger(model)
        head = getattr(model, "head", None)
        crf = getattr(head, "crf", None) if self.tagger else None
        # The CRF's potentials, read once: Viterbi runs in NumPy over ORT's output.
        self.crf_potentials = crf_potentials(crf) if crf is not None else None

    def __call__(self, examples: Sequence[Example]) -> list:
        return predict_in_batches(self._predict_batch, examples)

    def _predict_batch(self, examples: Sequence[Example]) -> list:
        batch = self.collator(examples, with_gold=False)
        scores = _run(self.session, _inputs(batch))  # (B, C) or (B, T, K)
        if not self.tagger:
            outputs = scores.argmax(-1).tolist()
        elif self.crf_potentials is not None:
            lengths = batch.mask.sum(1).numpy()  # (B,)
            outputs = viterbi_paths(scores, lengths, *self.crf_potentials)
        else:
            lengths = batch.mask.sum(1).tolist()
            outputs = [row[:n] for row, n in zip(scores.argmax(-1).tolist(), lengths)]
        return self.collator.decode(outputs, examples)


def runtime_file(folder: Path, runtime: str) -> Path:
    if runtime not in ("onnx", "onnx_q8"):
        raise ValueError(f"no ONNX file for runtime {runtime!r}")
    return Path(folder) / (Q8_FILE if runtime == "onnx_q8" else FLOAT_FILE)


def load_ort_predictor(folder: Path, model: torch.nn.Module, collator: Collator, runtime: str,
                       threads: int = 1) -> OrtPredictor:
    """An ONNX Runtime predictor for a saved runtime variant (model: its torch twin, for the
    task type and the CRF transitions; its encoder is not run)."""
    path = runtime_file(folder, runtime)
    if not path.is_file():
        raise OnnxExportError(f"{path} is missing: the model folder was saved without its "
                              f"{runtime} export (re-run save_model)")
    return OrtPredictor(path, model, collator, threads)
