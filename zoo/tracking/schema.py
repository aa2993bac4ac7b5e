"""Every MLflow key the zoo writes and the report reads, named once; the primary metric of
each task. Stdlib only and importing nothing of the zoo, so every floor may use it: the
writers below zoo/tracking (zoo.evaluate, zoo.cells, zoo.encoders.scalar_mix) and reports/
(which never imports torch through it). Renaming a value here renames a logged key: existing
MLflow stores would no longer be read, so values never change; new keys are added.

Each group says who writes its keys and who reads them. tests/reports/test_schema.py logs
tiny tracked cells and checks that every key the report reads (REPORT_* at the end) is one
the writers write, and that reports/ spells no key itself.
"""
from __future__ import annotations

from collections.abc import Mapping

# ---- the experiment ---------------------------------------------------------------------
# zoo.tracking.store creates it (`zoo bench`), reports.render reads it (`zoo report`).
EXPERIMENT = "nlp-zoo"  # the default; --experiment names another
# The MLflow 3 UI opens an experiment without this tag on its GenAI traces overview.
EXPERIMENT_KIND = ("mlflow.experimentKind", "custom_model_development")

# ---- the task's primary metric --------------------------------------------------------
# zoo.evaluate and zoo.cells select checkpoints on it; zoo.sweep.run_record logs it as
# `test/primary` and the PRIMARY_METRIC_TAG; reports rank, recommend and register on it.
PRIMARY_METRIC: Mapping[str, str] = {"sentiment": "accuracy", "ner": "f1", "translation": "bleu"}

# ---- run bookkeeping tags ----------------------------------------------------------------
# zoo.tracking.runs writes and reads them (resume, skip finished cells, close dead parents);
# the report reads ERROR (failed runs) and STAGE (running runs).
KIND = "zoo.kind"
KIND_BENCHMARK, KIND_CELL = "benchmark", "cell"  # a parent run | a cell (child) run
CELL_KEY = "zoo.cell_key"  # zoo.cells.resolve_cell: equal keys, equal results
STAGE = "zoo.stage"
STAGE_TRAINED, STAGE_MEASURED = "trained", "measured"  # zoo.sweep.run sets "measured"
ERROR = "zoo.error"  # the error text of a FAILED or KILLED run
PARENT = "mlflow.parentRunId"  # MLflow's own: nests a cell run under its benchmark run
PARENT_PID, PARENT_HOST = "zoo.pid", "zoo.host"  # on a parent run: a killed sweep is found
HEARTBEAT = "zoo.heartbeat"  # on a parent run: its sweep is alive (zoo.tracking.claims)
MODEL_DIR = "zoo.model_dir"  # the trained model's folder (resume, publish.register)
# On a registered model version (zoo.tracking.ui.register_model_version), with MODEL_DIR:
# the cell run it came from; zoo.tracking.ui and publish.register read it (reuse a version).
SOURCE_RUN_ID = "zoo.source_run_id"

# ---- cell tags, logged when a cell run starts (zoo.sweep.run_record.cell_tags) ------------
# The cell's axes: reports.runs.to_cell reads them all (identity, sections, regressions).
MODEL, TASK, DATASET = "model", "task", "dataset"
# A recipe variant's name (zoo.variants), on its cells only: the model's recipe with one
# field changed, shown beside the model, never recommended or registered.
VARIANT = "zoo.variant"
TRAIN_SIZE, SEED, PROFILE = "train_size", "seed", "profile"  # size as requested
DATA_FINGERPRINT, CONFIG_HASH = "data_fingerprint", "config_hash"
PROTOCOL = "protocol"  # which split selected the checkpoint, which one is reported
PRIMARY_METRIC_TAG = "primary_metric"  # its value: PRIMARY_METRIC[task]
ENV_ID = "env_id"  # zoo.measure.environment_id: runs are ranked within one id only
WORKER_HOST, WORKER_PID = "worker_host", "worker_pid"
# Whether the run's profile is a smoke profile (zoo.configs.Profile.smoke): "true" | "false",
# also on the parent run (flows.benchmark). The report flags smoke-level numbers from it;
# runs logged before it existed fall back to the profile's name (reports.render).
SMOKE = "zoo.smoke"

# The environment (zoo.measure.environment writes them, still spelled there; the test checks
# they agree). reports.runs.environments reads ENV_TAGS, reports.regressions GIT_SHA.
CPU, CORES, THREADS, DEVICE = "cpu", "cores", "threads", "device"
TORCH_VERSION, PYTHON_VERSION, PLATFORM, GIT_SHA = (
    "torch_version", "python_version", "platform", "git_sha")
ENV_TAGS = (CPU, CORES, THREADS, DEVICE, TORCH_VERSION, PYTHON_VERSION, PLATFORM)

# The model's catalog metadata (zoo.model_catalog.ModelEntry.tags writes them, still spelled
# there; the test checks they agree). reports.runs and reports.usable read them, never a
# model's name.
FAMILY, MODEL_KIND, RUNTIME, BASE_MODEL = "family", "model_kind", "runtime", "base_model"
FLOOR = "zoo.floor"  # "true": the task's trivial floor (majority class, all-O, copy-source)
MODEL_SIZE, BIDIRECTIONAL, CRF, MODEL_TASKS = "model_size", "bidirectional", "crf", "model_tasks"
PRETRAINED, ENCODER_MODE = "pretrained", "encoder_mode"
MODEL_KIND_CLASSICAL = "classical"  # MODEL_KIND's values: "neural" | "classical"
TWIN_PREFIX = "twin_"  # twin_<property>: the model that differs in that property only


def twin(prop: str) -> str:
    """twin_unidirectional, twin_no_crf, twin_small, twin_frozen, twin_finetuned..."""
    return f"{TWIN_PREFIX}{prop}"


# ---- cell tags, logged once the cell has trained (zoo.sweep.run_record._trained_tags) -----
TRAIN_EXAMPLES_TAG = "train_examples"  # also the metric TRAIN_EXAMPLES; the report reads both
TRAIN_FRACTION_TAG = "train_fraction"
TRAIN_DEVICE, TRAIN_PID = "train_device", "train_pid"
TRAIN_BEGAN, TRAIN_ENDED = "train_began", "train_ended"
# Why training stopped: early_stopped | epoch_cap | time_cap | fitted | unknown; converged:
# "true" | "false". reports.usable reads both: only converged runs may decide anything.
STOP_REASON, CONVERGED = "zoo.stop_reason", "zoo.converged"
NOTE_PREFIX = "note."  # note.<name>: zoo.evaluate's notes (the sacreBLEU signature...)
MODEL_PARAM_PREFIX = "model."  # model.<name>: the model's describe()


def note(name: str) -> str:
    return f"{NOTE_PREFIX}{name}"


def model_param(name: str) -> str:
    return f"{MODEL_PARAM_PREFIX}{name}"


# ---- cell params (zoo.sweep.run_record.cell_params; the MLflow UI's columns) --------------
TRAIN_PARAM_PREFIX = "train."  # train.<TrainConfig field>; MODEL is a param too


def train_param(field: str) -> str:
    return f"{TRAIN_PARAM_PREFIX}{field}"


# ---- the parent (benchmark) run ------------------------------------------------------------
# flows.benchmark writes PROFILE, SMOKE, the sweep's shape and the plan; zoo.tracking.runs
# writes the summary when the sweep ends. reports.build reads PROFILE, SMOKE and the plan:
# cells planned but never run are listed as missing.
SWEEP_CELLS, SWEEP_PARALLEL, SWEEP_THREADS = "cells", "parallel", "threads"
PARENT_PARAMS = (PROFILE, SWEEP_CELLS, SWEEP_PARALLEL, SWEEP_THREADS)  # tags and params
PLAN_DATASETS = "plan.datasets"  # comma-separated, sorted


def plan_sizes(dataset: str | None = None, model: str | None = None) -> str:
    """plan.sizes (every planned size), plan.sizes.<dataset> (that dataset's own), or
    plan.sizes.<dataset>/<model> (a model planned at other sizes there, e.g. quick's
    fine-tuned MiniLM at the smaller mr size only)."""
    return "plan.sizes" + (f".{dataset}" if dataset else "") + (f"/{model}" if model else "")


def plan_seeds(dataset: str | None = None) -> str:
    return "plan.seeds" + (f".{dataset}" if dataset else "")


CELLS_TOTAL = "cells/total"
SWEEP_WALL_SECONDS = "sweep/wall_seconds"


def cells_count(status: str) -> str:
    """cells/<status>: the sweep's cells by outcome (measured, cached, failed...)."""
    return f"cells/{status}"


# ---- cell metrics: quality (zoo.sweep.run_record logs zoo.evaluate's scores) ---------------
TEST, DEV = "test", "dev"  # the splits a metric is logged under
CI_LOW, CI_HIGH = "_ci_low", "_ci_high"  # 95% bootstrap interval: <metric>_ci_low / _ci_high
PRIMARY = "primary"  # test/primary, dev/primary: the task's PRIMARY_METRIC under one name


def test_metric(name: str, suffix: str = "") -> str:
    """test/<name><suffix>: test/accuracy, test/f1_ci_low, test/primary..."""
    return f"{TEST}/{name}{suffix}"


def dev_metric(name: str, suffix: str = "") -> str:
    return f"{DEV}/{name}{suffix}"


TEST_PRIMARY, DEV_PRIMARY = test_metric(PRIMARY), dev_metric(PRIMARY)
TEST_EXAMPLES, DEV_EXAMPLES = test_metric("examples"), dev_metric("examples")

# ---- cell metrics: speed and size (zoo.cells.measure_cell, logged by zoo.sweep.run) ----------
# reports.ranking reads p50/p90/p99 and examples_per_s; reports.regressions p50 and p90.
LATENCY_P50, LATENCY_P90, LATENCY_P99 = "latency/p50_ms", "latency/p90_ms", "latency/p99_ms"
LATENCY_MEAN, LATENCY_CALLS, LATENCY_WARMUP = (
    "latency/mean_ms", "latency/calls", "latency/warmup_calls")
THROUGHPUT_EXAMPLES = "throughput/examples_per_s"
THROUGHPUT_TOKENS, THROUGHPUT_BATCH = "throughput/tokens_per_s", "throughput/batch_size"
# What else ran while the latency was timed (zoo.measure.MachineLoadMeter): the 1-minute load
# average, the cores other processes kept busy, and 1.0 when that left the model's threads
# fewer free cores than they need (the report flags those latencies).
LATENCY_LOAD_1M = "latency/load_1m"
LATENCY_OTHERS_BUSY_CORES = "latency/others_busy_cores"
LATENCY_UNDER_LOAD = "latency/under_load"
MEASURE_THREADS = "measure/threads"
# zoo.sweep.run_record logs these; reports.ranking reads them.
SIZE_PARAMS, SIZE_BYTES = "size/params", "size/bytes"

# ---- cell metrics: training (zoo.sweep.run_record, zoo.cells) -------------------------------
TRAIN_SECONDS = "train/seconds"  # reports.ranking
TRAIN_EXAMPLES = "train/examples"  # reports.runs (n_train)
TRAIN_STILL_IMPROVING = "train/still_improving"  # neural cells; reports.usable
TRAIN_PEAK_RSS_MB, TRAIN_WALL_SECONDS = "train/peak_rss_mb", "train/wall_seconds"
TRAIN_FRACTION, TRAIN_EPOCHS_RUN = "train/fraction", "train/epochs_run"
TRAIN_CONVERGED, TRAIN_BEST_EPOCH = "train/converged", "train/best_epoch"
TRAIN_HIT_TIME_BUDGET, TRAIN_AMP = "train/hit_time_budget", "train/amp"
TRAIN_REUSED_BASE_WEIGHTS = "train/reused_base_weights"  # a runtime twin reused its base's
TRAIN_TRUNCATED_SENTENCES = "train/truncated_sentences"

# ---- cell metrics: a biLM pretrained on the benchmark's text (ELMo) ----------------------
# zoo/encoders/bilm_pretraining.py and zoo/corpus.py write them (spelled there);
# reports.build (the pretraining table) and reports.runs (bilm_converged) read these.
PRETRAIN_PERPLEXITY = "pretrain/perplexity"
PRETRAIN_PERPLEXITY_START = "pretrain/perplexity_start"
PRETRAIN_CONVERGED = "pretrain/converged"  # 1: early-stopped on held-out perplexity
PRETRAIN_SENTENCES, PRETRAIN_SECONDS = "pretrain/sentences", "pretrain/seconds"
PRETRAIN_STEPS, PRETRAIN_EPOCHS = "pretrain/steps", "pretrain/epochs"
PRETRAIN_CORPUS_TOKENS = "pretrain/corpus_tokens"
PRETRAIN_CORPUS_DATASETS = "pretrain/corpus_datasets"
PRETRAIN_HIT_TIME_BUDGET = "pretrain/hit_time_budget"

# ---- cell metrics: the learned scalar mix of a frozen encoder ----------------------------
# zoo.encoders.scalar_mix.mix_metrics writes them; reports.layer_mix reads them.
MIX_LAYER_PREFIX = "mix/layer_"
MIX_LAYERS, MIX_GAMMA, MIX_MEAN_LAYER = "mix/layers", "mix/gamma", "mix/mean_layer"


def mix_layer(k: int) -> str:
    """mix/layer_<k>: the softmax weight of layer k (0: the embedding or token layer)."""
    return f"{MIX_LAYER_PREFIX}{k}"


# ---- per-epoch curves (one metric, steps 1..n; zoo.sweep.run_record.log_trained_cell) -----
# For the MLflow UI's charts; the report reads none.
CURVE_TRAIN_LOSS, CURVE_DEV_SCORE = "curve/train_loss", "curve/dev_score"

# ---- written for the MLflow UI, read by no report; their writers still spell them ----------
OOM_RETRY = "zoo.oom_retry"  # zoo.sweep.run: the batch halved after running out of memory
LATENCY_STAGE = "latency_stage"  # zoo.sweep.run: "serialized" (measured alone on the machine)
PRETRAIN_PREFIX = "pretrain/"  # more pretrain/* (zoo/encoders/bilm_pretraining.py...)
CURVE_PREFIX = "curve/"  # curve/pretrain_perplexity, curve/pretrain_steps (the biLM's)
DEV_LABEL_COUNT_PREFIX = "dev/label_count/"  # zoo.data.splits.subset_counts (sentiment)
DEV_WITH_ENTITIES = "dev/with_entities"  # zoo.data.splits.subset_counts (NER)

# ---- artifacts -----------------------------------------------------------------------------
# zoo.tracking.stats writes the per-example test statistics; the report's paired bootstrap
# reads them back.
EXAMPLE_STATS_ARTIFACT = "eval/test_example_stats.json"
# zoo.tracking.records writes the per-example records of the test predictions (zoo.example_log);
# the report's buckets and disagreement examples read them back.
EXAMPLE_RECORDS_ARTIFACT = "eval/test_example_records.json"

# ---- smoke ---------------------------------------------------------------------------------


def smoke_value(smoke: bool) -> str:
    """SMOKE's value."""
    return "true" if smoke else "false"


def is_smoke(tags: Mapping[str, str]) -> bool | None:
    """A run's SMOKE tag; None when it has none (logged before the tag existed)."""
    value = str(tags.get(SMOKE, "")).strip().lower()
    return None if not value else value == "true"


# ---- what the report reads -----------------------------------------------------------------
# tests/test_tracking_schema.py checks every key below against what tiny tracked cells and a
# benchmark parent run really log. A reader of a new key adds it here.
REPORT_CELL_TAGS = (  # every cell run
    KIND, CELL_KEY, MODEL, TASK, DATASET, TRAIN_SIZE, SEED, PROFILE, DATA_FINGERPRINT,
    CONFIG_HASH, ENV_ID, GIT_SHA, *ENV_TAGS, SMOKE, TRAIN_EXAMPLES_TAG, STOP_REASON, CONVERGED,
    FAMILY, MODEL_KIND, RUNTIME, BASE_MODEL, FLOOR, MODEL_SIZE, PRETRAINED, ENCODER_MODE)
REPORT_CELL_METRICS = (  # every finished cell run; quality: test_metric(<metric>[, CI_*])
    TRAIN_EXAMPLES, TRAIN_SECONDS, SIZE_PARAMS, SIZE_BYTES, LATENCY_P50, LATENCY_P90,
    LATENCY_P99, THROUGHPUT_EXAMPLES)
REPORT_NEURAL_METRICS = (TRAIN_STILL_IMPROVING,)  # cells of neural models
REPORT_BILM_METRICS = (  # cells of a model with a biLM of its own
    PRETRAIN_PERPLEXITY, PRETRAIN_PERPLEXITY_START, PRETRAIN_CONVERGED, PRETRAIN_SENTENCES,
    PRETRAIN_SECONDS, PRETRAIN_STEPS, PRETRAIN_EPOCHS, PRETRAIN_CORPUS_TOKENS,
    PRETRAIN_CORPUS_DATASETS, PRETRAIN_HIT_TIME_BUDGET)
REPORT_MIX_METRICS = (MIX_LAYERS, MIX_GAMMA, MIX_MEAN_LAYER)  # plus mix_layer(k), frozen encoders
REPORT_FAILED_TAGS = (ERROR,)  # FAILED or KILLED runs
REPORT_RUNNING_TAGS = (STAGE,)  # runs still RUNNING (trained, not yet measured)
REPORT_PARENT_TAGS = (KIND, PROFILE, SMOKE, PLAN_DATASETS)  # plus plan_sizes / plan_seeds

# ---- aggregate runs: one per leaderboard row, for browsing ---------------------------------
# publish.aggregates builds them from the report's rows, zoo.tracking.aggregate_runs writes
# them (nested under the benchmark run of the row's newest seed) and finds one again by its
# AGGREGATE_KEY to rewrite it. Nothing reads them but the MLflow UI: every reader of cell runs
# filters on KIND_CELL, and an aggregate carries no CELL_KEY. Quality means go under the cell
# runs' own keys (test/primary, test/<metric>, their _ci_low/_ci_high) so the UI compares both.
KIND_AGGREGATE = "aggregate"  # a value of KIND
AGGREGATE_KEY = "zoo.aggregate_key"  # task|dataset|env_id|model|train examples
AGGREGATE_REVISION = "zoo.aggregate_revision"  # 1, 2...: the step its metrics were logged at
SD = "_sd"  # <metric>_sd: the standard deviation over seeds (none with one seed)
AGGREGATE_SEEDS = "aggregate/seeds"  # seeds with a value of the primary metric
AGGREGATE_RANK = "aggregate/rank"  # the leaderboard's rank (tie groups share it); usable rows
AGGREGATE_USABLE = "aggregate/usable"  # 1: converged and above the floor (reports.usable)
USABLE, USABLE_REASON = "zoo.usable", "zoo.usable_reason"  # "true" | "false"; why not
TIED_WITH = "zoo.tied_with"  # the model heading this row's tie group (no detectable difference)
SEED_LIST, SEED_RUNS = "zoo.seeds", "zoo.seed_runs"  # the seeds, their cell runs' ids
DESCRIPTION = "mlflow.note.content"  # MLflow's own: the run page's description

# ---- hyperparameter tuning (`zoo tune`, zoo.tune) --------------------------------------------
# Its own experiment, so the benchmark's leaderboard never reads a tuning run. One study run
# (KIND_TUNING_STUDY) per Optuna study, each trial a nested run (KIND_TUNING_TRIAL: its
# overrides as train.<field> params, DEV_PRIMARY, the trial's number and state), and the
# final comparison's trainings as cell runs (KIND_CELL, with TUNING_STUDY and TUNING_ARM),
# which reports.tuning reads with their per-example test statistics.
TUNING_EXPERIMENT = "nlp-zoo-tuning"
KIND_TUNING_STUDY, KIND_TUNING_TRIAL = "tuning_study", "tuning_trial"  # values of KIND
TUNING_STUDY = "zoo.tuning.study"  # the study's name, on its study, trial and cell runs
TUNING_TRIAL, TUNING_TRIAL_STATE = "zoo.tuning.trial", "zoo.tuning.trial_state"
# Which arm a comparison run trained: "recipe" | "tuned" | "both" (the best trial was the
# recipe) | "superseded" (a tuned arm of an earlier best, before the study grew).
TUNING_ARM = "zoo.tuning.arm"
ARM_RECIPE, ARM_TUNED, ARM_BOTH, ARM_SUPERSEDED = "recipe", "tuned", "both", "superseded"
TUNING_TRIALS = "tuning/trials"  # on the study run: trials requested
TUNING_COMPLETE, TUNING_FAILED = "tuning/complete", "tuning/failed"  # trials that ended so
TUNING_BEST_TRIAL = "tuning/best_trial"  # the number of the best trial (0: the recipe)
TUNING_BEST_OVERRIDES = "zoo.tuning.best_overrides"  # JSON: the best trial's changed fields
