"""GPU smoke check: train three zoo models for a few steps on CUDA, predict, save and reload.

    python benchmarks/gpu_smoke.py [--steps 40] [--threads 1]

Models: `tiny_lstm` (sentiment), `bilstm_crf_small` (NER: cuDNN BiLSTM + CRF loss and
Viterbi), `tiny_seq2seq_transformer` (translation: causal mask, kv-cache, beam search), each
on synthetic toy examples with a learnable signal, through the zoo's own code path: the model
placed on `zoo.device.pick_device()`, `zoo.train.train_model` (batches follow the model),
`NeuralPredictor`, `save_model` (CPU tensors) and `load_predictor`. Prints, per model, the
device, the mean loss before and after, and seconds (CUDA synchronized before every clock
read). Exits non-zero on any failure, including a loss that did not fall. Without CUDA it
says so, runs the same on the CPU and exits 0 (ZOO_DEVICE=cuda makes a missing GPU an error).

Needs only torch and numpy plus the zoo modules it imports, none of which import mlflow,
prefect, seqeval, scikit-learn, psutil or onnx (it registers only the recurrent and seq2seq
families and looks them up in zoo.model_catalog, not all of zoo.models). The CRF head is
allennlp-light's, so `allennlp_light` must be importable, and it imports ai2-tango. With
`python -S` and nothing but torch (and its own requirements), numpy and these on the path it
ran: allennlp-light, ai2-tango, base58, dill, PyYAML, rjsonnet, pytz, tqdm, rich, Pygments
(rjsonnet is the one compiled wheel). On a machine with only torch and numpy:

    pip install --no-deps allennlp-light==1.0.0 ai2-tango==1.3.2 base58 dill pyyaml \\
        rjsonnet pytz tqdm rich pygments
    python benchmarks/gpu_smoke.py

(or plain `pip install allennlp-light`, which also installs tango's unused requirements).
Run from the repository root or anywhere: the repo root is put on sys.path.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    from zoo.batching import Collator, collator_for
    from zoo.configs import TrainConfig
    from zoo.data.types import Example
    from zoo.data.vocab import Vocab
    from zoo.device import module_device, pick_device, synchronize
    from zoo.errors import ConfigError
    from zoo.families import recurrent, seq2seq  # noqa: F401  registers the models used here
    from zoo.predictors import load_predictor, make_predictor, save_model
    from zoo.model_catalog import DataInfo, create_model
    from zoo.train import seed_everything, train_model
except ModuleNotFoundError as exc:
    sys.exit(f"gpu_smoke: cannot import the zoo ({exc}); it needs torch, numpy and "
             "allennlp-light (pip install allennlp-light)")

MODELS = (("tiny_lstm", "sentiment"), ("bilstm_crf_small", "ner"),
          ("tiny_seq2seq_transformer", "translation"))
N_EXAMPLES = 64
BATCH = 16


def synthetic(task: str, n: int = N_EXAMPLES, seed: int = 0) -> list[Example]:
    """Toy examples with a signal a model picks up in a few dozen steps."""
    rng = random.Random(seed)
    filler = [f"w{i}" for i in range(100)]
    out = []
    for _ in range(n):
        words = rng.choices(filler, k=rng.randint(4, 12))
        if task == "sentiment":
            label = rng.choice(("neg", "pos"))
            cue = [f"{label}{rng.randint(0, 4)}" for _ in range(rng.randint(1, 3))]
            for word in cue:
                words.insert(rng.randint(0, len(words)), word)
            out.append(Example(tuple(words), label=label))
        elif task == "ner":
            tags = ["O"] * len(words)
            at = rng.randint(0, len(words) - 1)
            if rng.random() < 0.5:  # a person: first name (+ surname)
                words[at], tags[at] = f"name{rng.randint(0, 9)}", "B-person"
                if at + 1 < len(words) and rng.random() < 0.5:
                    words[at + 1], tags[at + 1] = f"sur{rng.randint(0, 9)}", "I-person"
            else:
                words[at], tags[at] = f"city{rng.randint(0, 9)}", "B-location"
            out.append(Example(tuple(words), tags=tuple(tags)))
        else:  # word-for-word "translation" of a short sentence
            src = tuple(rng.choices(filler[:30], k=rng.randint(2, 6)))
            out.append(Example(src, target=tuple(f"t{w}" for w in src)))
    return out


def data_info(task: str, examples: list[Example]) -> DataInfo:
    vocab = Vocab.build(ex.tokens for ex in examples)
    if task == "sentiment":
        return DataInfo(task, vocab, labels=("neg", "pos"))
    if task == "ner":
        return DataInfo(task, vocab, labels=("B-location", "B-person", "I-person", "O"))
    return DataInfo(task, vocab, target_vocab=Vocab.build((ex.target for ex in examples),
                                                          with_bos_eos=True))


@torch.no_grad()
def mean_loss(model, collator: Collator, examples: list[Example]) -> float:
    """Example-weighted mean training loss over `examples`, in eval mode (no dropout)."""
    model.eval()
    device = module_device(model)
    total = 0.0
    for k in range(0, len(examples), BATCH):
        chunk = examples[k:k + BATCH]
        total += float(model.loss(collator(chunk).to(device))) * len(chunk)
    return total / len(examples)


def check(name: str, task: str, steps: int, device: torch.device, work: Path) -> None:
    seed_everything(0)
    examples = synthetic(task)
    info = data_info(task, examples)
    model = create_model(name, info).to(device)  # placed once; batches follow the model
    collator = collator_for(model, info, 32)
    before = mean_loss(model, collator, examples)
    epochs = max(1, math.ceil(steps / math.ceil(len(examples) / BATCH)))
    cfg = TrainConfig(epochs=epochs, batch_size=BATCH, lr=3e-3, patience=epochs)
    synchronize(device)
    t0 = time.perf_counter()
    # Dev score = minus the loss, so the restored "best" epoch is (nearly always) the last.
    train_model(model, collator, examples, cfg, seed=0,
                dev_score=lambda m: -mean_loss(m, collator, examples))
    synchronize(device)
    train_s = time.perf_counter() - t0
    after = mean_loss(model, collator, examples)

    predictor = make_predictor(model, collator)
    predictor(examples[:BATCH])  # warm-up (kernel selection, allocator)
    synchronize(device)
    t0 = time.perf_counter()
    predictions = predictor(examples)
    synchronize(device)
    predict_s = time.perf_counter() - t0

    save_model(work / name, name, model, collator, info)
    saved = torch.load(work / name / "model.pt", weights_only=True)
    reloaded, reloaded_model = load_predictor(work / name)

    where = module_device(model)
    print(f"  {name:<26} {task:<11} device={where}  loss {before:.3f} -> {after:.3f}  "
          f"train {train_s:.2f}s ({epochs * math.ceil(len(examples) / BATCH)} steps)  "
          f"predict {len(examples)} in {predict_s * 1000:.0f} ms", flush=True)
    if where != device or predictor.device != device or module_device(reloaded_model) != device:
        raise AssertionError(f"{name}: model on {where}, predictor on {predictor.device}, "
                             f"reloaded on {module_device(reloaded_model)}; wanted {device}")
    if not (math.isfinite(after) and after < before):
        raise AssertionError(f"{name}: loss did not fall on {device} ({before} -> {after})")
    if len(predictions) != len(examples):
        raise AssertionError(f"{name}: {len(predictions)} predictions for {len(examples)}")
    if any(t.device.type != "cpu" for t in saved.values()):
        raise AssertionError(f"{name}: model.pt holds non-CPU tensors")
    if reloaded(examples) != predictions:
        raise AssertionError(f"{name}: predictions changed after save_model/load_predictor")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40, help="optimizer steps per model")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: these tensors are tiny, and more "
                             "threads only contend on a busy CPU)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    try:
        device = pick_device()  # ZOO_DEVICE, else CUDA when present
    except ConfigError as exc:  # e.g. ZOO_DEVICE=cuda on a machine without one
        print(f"gpu_smoke: {exc}", file=sys.stderr)
        return 1
    if device.type == "cuda":
        print(f"gpu_smoke: {device} = {torch.cuda.get_device_name(device)}, torch "
              f"{torch.__version__}, CUDA {torch.version.cuda}")
    else:
        print(f"gpu_smoke: CUDA is not available (torch {torch.__version__}, "
              f"cuda.is_available()={torch.cuda.is_available()}); running on the CPU")
    failures = []
    with tempfile.TemporaryDirectory(prefix="zoo-gpu-smoke-") as tmp:
        for name, task in MODELS:
            try:
                check(name, task, args.steps, device, Path(tmp))
            except Exception:  # noqa: BLE001  report every model, then fail
                failures.append(name)
                print(f"  {name}: FAILED", flush=True)
                traceback.print_exc()
    total = time.perf_counter() - started
    status = "FAILED: " + ", ".join(failures) if failures else "ok"
    print(f"gpu_smoke: {status} on {device} in {total:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
