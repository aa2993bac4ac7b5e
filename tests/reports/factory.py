"""Hand-made cell runs for report tests: as `load_runs()` dicts, or logged into a real MLflow
store through zoo.tracking (no training needed)."""
from __future__ import annotations

import itertools
import zlib

import numpy as np

ENV_A = {"cpu": "Test CPU 3000", "cores": "2", "threads": "2", "device": "cpu",
         "torch_version": "2.13.0", "python_version": "3.11.2", "platform": "Linux-test",
         "git_sha": "abc123def456"}
ENV_B = {**ENV_A, "cpu": "Other CPU 9000", "cores": "16", "threads": "8"}
_clock = itertools.count(1_700_000_000_000, 60_000)


def env_id(env: dict) -> str:
    return "|".join(env[k] for k in ("cpu", "cores", "threads", "device", "torch_version"))


def make_run(model: str, *, task: str = "sentiment", dataset: str = "mr", seed: int = 1,
             n: int = 8000, size: str = "1.0", quality: float | None = 0.80,
             ci: float = 0.02, p50: float | None = 1.0, p90: float | None = None,
             params: float = 1e5, size_bytes: float = 4e5, train_s: float = 10.0,
             status: str = "FINISHED", env: dict | None = None, family: str | None = None,
             profile: str = "standard", tags: dict | None = None,
             run_id: str | None = None, start: int | None = None,
             stop: str | None = "early_stopped", converged: bool | None = None,
             still_improving: bool | None = None) -> dict:
    """One cell run dict; `quality` is the logged value (a fraction, BLEU 0-100).

    `stop` is the `zoo.stop_reason` tag (early_stopped, epoch_cap, time_cap, fitted; None:
    an old run without stop tags); `converged` defaults to stop in (early_stopped, fitted);
    `still_improving` logs train/still_improving (at the epoch cap)."""
    env = env or ENV_A
    metric = {"sentiment": "accuracy", "ner": "f1", "translation": "bleu"}[task]
    start = start if start is not None else next(_clock)
    metrics: dict[str, float] = {"train/examples": n, "size/params": params,
                                 "size/bytes": size_bytes, "train/seconds": train_s}
    if quality is not None:
        metrics.update({f"test/{metric}": quality, f"test/{metric}_ci_low": quality - ci,
                        f"test/{metric}_ci_high": quality + ci})
        if task == "sentiment":
            metrics.update({"test/macro_f1": quality - 0.01})
    if p50 is not None:
        metrics.update({"latency/p50_ms": p50, "latency/p90_ms": p90 or p50 * 1.3,
                        "latency/p99_ms": (p90 or p50 * 1.3) * 1.5,
                        "throughput/examples_per_s": 1000.0 / p50})
    if still_improving is not None:
        metrics["train/still_improving"] = float(still_improving)
    stop_tags = {}
    if stop is not None:
        done = converged if converged is not None else stop in ("early_stopped", "fitted")
        stop_tags = {"zoo.stop_reason": stop, "zoo.converged": str(done).lower()}
    all_tags = {
        "model": model, "family": family or model.split("_")[0], "task": task,
        "dataset": dataset, "train_size": size, "train_examples": str(n), "seed": str(seed),
        "profile": profile, "data_fingerprint": f"fp-{dataset}", "config_hash": "cfg1",
        "protocol": "select=dev;report=test;test_read_once", "primary_metric": metric,
        "env_id": env_id(env), **env, "zoo.kind": "cell",
        "zoo.cell_key": f"{model}-{dataset}-{size}-{seed}-{env_id(env)}",
        **({"zoo.error": "RuntimeError: boom"} if status == "FAILED" else {}), **stop_tags,
        **(tags or {})}
    return {"run_id": run_id or f"run-{start}", "status": status, "start_time": start,
            "end_time": start + 30_000, "tags": all_tags, "params": {}, "metrics": metrics}


FLOOR = {"sentiment": "majority_class", "ner": "all_o", "translation": "copy_source"}


def floor_run(task: str = "sentiment", quality: float = 0.50, **kw) -> dict:
    """The task's trivial floor model (family "floor"), fitted, very fast."""
    kw.setdefault("p50", 0.01)
    return make_run(FLOOR[task], task=task, quality=quality, family="floor", stop="fitted",
                    **kw)


def sentiment_stats(accuracy: float, n: int = 400, seed: int = 0,
                    shared: int = 7) -> list[list[int]]:
    """(gold, predicted) rows with about `accuracy` correct; `shared` seeds the gold labels
    (equal for every model: one test set) and `seed` the errors."""
    gold = np.random.default_rng(shared).integers(0, 2, n)
    correct = np.random.default_rng(1000 + seed).random(n) < accuracy
    pred = np.where(correct, gold, 1 - gold)
    return np.stack([gold, pred], axis=1).tolist()


def with_stats(run: dict, n: int = 400) -> tuple[dict, dict]:
    """(run, its example-stats payload) with per-example rows matching the run's accuracy."""
    acc = run["metrics"]["test/accuracy"]
    key = f'{run["tags"]["model"]}|{run["tags"]["seed"]}|{run["tags"]["train_size"]}'
    seed = zlib.crc32(key.encode()) % 10_000
    rows = sentiment_stats(acc, n, seed)
    real = float(np.mean([g == p for g, p in rows]))
    run = {**run, "metrics": {**run["metrics"], "test/accuracy": real,
                              "test/accuracy_ci_low": real - 0.04,
                              "test/accuracy_ci_high": real + 0.04}}
    return run, {"version": 1, "task": "sentiment", "split": "test", "n": n,
                 "stats": {"accuracy": rows, "macro_f1": rows}}


def rich_runs(hostile: str = '<script>alert("x")</script>"\'&') -> list[dict]:
    """A realistic benchmark: sentiment with 5 models x 3 sizes x 2 seeds (one int8 variant,
    one hostile name), NER in two environments, a failed and a re-run cell."""
    runs = []
    sent = {"tfidf_logreg": (0.74, 0.76, 0.77, 0.05, "tfidf"),
            "lstm_small": (0.62, 0.72, 0.79, 2.0, "lstm"),
            "bilstm_small": (0.63, 0.74, 0.80, 3.5, "bilstm"),
            "bilstm_small_ort_q8": (0.62, 0.73, 0.795, 1.2, "bilstm"),
            hostile: (0.60, 0.70, 0.78, 9.0, "lstm")}
    for model, (q_small, q_mid, q_full, p50, family) in sent.items():
        for size, n, q in (("0.1", 800, q_small), ("0.5", 4000, q_mid), ("1.0", 8000, q_full)):
            for seed in (1, 2):
                runs.append(make_run(model, seed=seed, n=n, size=size,
                                     quality=q + 0.008 * (seed - 1.5), p50=p50 * (1 + 0.01 * seed),
                                     family=family, size_bytes=2e6 if family != "tfidf" else 8e6,
                                     params=5e5 if family != "tfidf" else 2e6))
    for model, f1, p50 in (("bilstm_crf_small", 0.41, 6.0), ("bilstm_small", 0.38, 4.0),
                           ("lstm_small", 0.30, 2.5)):
        runs.append(make_run(model, task="ner", dataset="wnut16", quality=f1, p50=p50,
                             n=1900, family=model.rsplit("_", 1)[0], ci=0.03))
        runs.append(make_run(model, task="ner", dataset="wnut16", quality=f1 + 0.01,
                             p50=p50 / 3, n=1900, family=model.rsplit("_", 1)[0], env=ENV_B))
    runs.append(make_run("gru_small", task="ner", dataset="wnut16", quality=None, p50=None,
                         status="FAILED", n=1900))
    # A re-run of one cell: quality fell below the previous CI and latency rose by 30 %.
    runs.append(make_run("lstm_small", task="ner", dataset="wnut16", quality=0.21, p50=3.25,
                         n=1900, family="lstm", ci=0.03, tags={"git_sha": "fff000111222"}))
    return runs


def log_runs(runs: list[dict], experiment: str = "nlp-zoo", stats: dict | None = None,
             profile: str = "standard") -> dict[str, str]:
    """Log hand-made runs into the MLflow store of ZOO_HOME through zoo.tracking, under one
    benchmark parent run; returns {hand-made run id: MLflow run id}."""
    import time

    from zoo import tracking

    exp = tracking.experiment_id(experiment)
    parent = tracking.start_parent_run(exp, f"benchmark-{profile}", {"profile": profile})
    ids = {}
    for run in sorted(runs, key=lambda r: r["start_time"]):
        # What tracking.start_cell_run + log_metrics + log_tags write, in fewer commits.
        tags = {**run["tags"], tracking.PARENT: parent}
        run_id = tracking.client().create_run(exp, run_name=run["tags"]["model"][:200],
                                              tags=tags).info.run_id
        ids[run["run_id"]] = run_id
        if run["status"] == "FAILED":
            tracking.fail_cell_run(run_id, run["tags"].get("zoo.error", "error"))
            continue
        tracking._log(run_id, metrics=run["metrics"], tags={tracking.STAGE: "measured"})
        if stats and run["run_id"] in stats:
            payload = stats[run["run_id"]]
            tracking.log_example_stats(run_id, payload["task"], payload["stats"])
        if run["status"] == "FINISHED":
            tracking.finish_run(run_id)
        time.sleep(0.002)  # distinct start times keep "previous run" well defined
    tracking.finish_run(parent)
    return ids


def rich_with_stats() -> tuple[list[dict], dict]:
    """`rich_runs()` where every sentiment run carries per-example stats."""
    runs, stats = [], {}
    for run in rich_runs():
        if run["tags"]["task"] == "sentiment":
            run, payload = with_stats(run)
            stats[run["run_id"]] = payload
        runs.append(run)
    return runs, stats


# ---- pretrained encoders: frozen / fine-tuned twins, layer mixes, an ELMo biLM ---------------

ENCODER_TAGS = {
    "bilstm_small": {"model_size": "small", "bidirectional": "true"},
    "minilm_frozen": {"model_size": "base", "pretrained": "all-MiniLM-L6-v2",
                      "encoder_mode": "frozen", "twin_finetuned": "minilm_l6"},
    "minilm_l6": {"model_size": "base", "pretrained": "all-MiniLM-L6-v2",
                  "encoder_mode": "finetuned", "twin_frozen": "minilm_frozen"},
    "elmo_frozen_small": {"model_size": "small", "encoder_mode": "frozen",
                          "twin_finetuned": "elmo_finetune_small"},
    "elmo_finetune_small": {"model_size": "small", "encoder_mode": "finetuned",
                            "twin_frozen": "elmo_frozen_small"},
}
FAMILIES = {"bilstm_small": "bilstm", "minilm_frozen": "pretrained_transformer",
            "minilm_l6": "pretrained_transformer", "elmo_frozen_small": "elmo",
            "elmo_finetune_small": "elmo"}
# The biLM record every ELMo cell logs (zoo/encoders/bilm_training.py); quick profile:
# stopped by its step budget.
BILM = {"pretrain/perplexity": 310.0, "pretrain/perplexity_start": 19917.0,
        "pretrain/sentences": 144569.0, "pretrain/corpus_tokens": 2_134_567.0,
        "pretrain/steps": 300.0, "pretrain/epochs": 0.13, "pretrain/seconds": 60.0,
        "pretrain/corpus_datasets": 3.0, "pretrain/converged": 0.0}
# (task, model) -> quality at the small and the full size (frozen ahead with little data,
# fine-tuned ahead with all of it), and the layer the mix peaks at (None: no mix logged).
ENCODER_QUALITY = {
    "sentiment": {"bilstm_small": (0.62, 0.80, None), "minilm_frozen": (0.78, 0.84, 4.6),
                  "minilm_l6": (0.66, 0.92, None), "elmo_frozen_small": (0.66, 0.78, 1.4),
                  "elmo_finetune_small": (0.64, 0.81, 1.2)},
    "ner": {"bilstm_small": (0.20, 0.40, None), "minilm_frozen": (0.35, 0.45, 1.8),
            "minilm_l6": (0.25, 0.55, None), "elmo_frozen_small": (0.25, 0.38, 0.8),
            "elmo_finetune_small": (0.22, 0.40, 0.9)},
}
ENCODER_SIZES = {"sentiment": ("mr", ((800, "0.1"), (8000, "1.0"))),
                 "ner": ("wnut16", ((300, "0.1"), (1900, "1.0")))}


def mix_metrics(peak: float, layers: int, spread: float = 1.2) -> dict[str, float]:
    """A softmax layer mix centred on layer `peak`, as zoo/encoders/scalar_mix.py logs it."""
    w = np.exp(-((np.arange(layers) - peak) ** 2) / (2 * spread ** 2))
    w = w / w.sum()
    out = {f"mix/layer_{k}": float(v) for k, v in enumerate(w)}
    out.update({"mix/gamma": 1.1, "mix/layers": float(layers),
                "mix/mean_layer": float(np.dot(np.arange(layers), w) / (layers - 1))})
    return out


def encoder_runs(bilm_converged: bool = False) -> tuple[list[dict], dict]:
    """(runs, per-example stats of the sentiment runs): mr and wnut16 at two sizes, two seeds
    each, with a floor, a BiLSTM from scratch, the frozen MiniLM and its fine-tuned twin, and
    the frozen ELMo and its fine-tuned twin (their biLM converged or step-capped)."""
    runs, stats = [], {}
    for task, (dataset, sizes) in ENCODER_SIZES.items():
        for i, (n, size) in enumerate(sizes):
            runs.append(floor_run(task, quality=0.5 if task == "sentiment" else 0.0,
                                  dataset=dataset, n=n, size=size, ci=0.0))
            for model, levels in ENCODER_QUALITY[task].items():
                for seed in (1, 2):
                    run = make_run(model, task=task, dataset=dataset, n=n, size=size,
                                   seed=seed, quality=levels[i] + 0.004 * seed,
                                   family=FAMILIES[model], tags=ENCODER_TAGS[model],
                                   p50=30.0 if "minilm" in model else 5.0)
                    if levels[2] is not None:
                        layers = 7 if "minilm" in model else 3
                        run["metrics"].update(mix_metrics(levels[2] + 0.2 * seed - 0.3 * i,
                                                          layers))
                    if "elmo" in model:
                        run["metrics"].update({**BILM, "pretrain/converged":
                                               float(bilm_converged)})
                    if task == "sentiment":
                        run, stats[run["run_id"]] = with_stats(run)
                    runs.append(run)
    return runs, stats
