"""ELMo variants: a character-aware biLM pretrained on the dataset's own training text, then
frozen (a fixed feature extractor: only the scalar mix, task BiLSTM and head train) or
fine-tuned with the task.

No pretrained ELMo weights can be downloaded here, so `pretrain(ctx)` trains the biLM on
every training sentence of the dataset (unlabeled use; never dev or test) before supervised
training (zoo/encoders/bilm_training.py). The result is cached per (biLM config, stopping
rule, pretraining procedure version, data fingerprint, seed; a biLM that converged is keyed
without its safety caps, one stopped by a budget or cap with them: `cache_paths`), so every
training size and both the frozen and fine-tuned variants share one pretrained biLM.

Pretraining runs on the task model's device (a GPU when the cell trains on one); the cached
weights are CPU tensors either way, so a cache written on a GPU machine loads on any.
"""
from __future__ import annotations

import dataclasses

from zoo import recipes
from zoo.device import module_device
from zoo.encoder_head import SequenceClassifier, SequenceTagger, classifier_or_tagger
from zoo.encoders.bilm_training import UntilConverged, load_or_pretrain
from zoo.encoders.elmo import BiLMConfig, ElmoEncoder
from zoo.model_catalog import DataInfo, Twins, register_model

CLS_TAG = ("sentiment", "ner")
# A biLM under a task BiLSTM, and a CRF on NER (as in the ELMo paper's tagger).
BI_CRF = {"bidirectional": True, "crf": True}


# ---------------------------------------------------------------- task models and variants


class _ElmoHooks:
    """The optional hooks `zoo.cells.train_cell` calls: pretrain(ctx) and describe()."""

    encoder: ElmoEncoder
    _pretrained_with: BiLMConfig | None = None  # the config pretrain() used (budget capped)
    _until: UntilConverged | None = None  # its stopping rule, when until converged
    _converged: bool | None = None  # whether that biLM early-stopped (None: not pretrained)

    def pretrain(self, ctx) -> tuple[dict[str, float], dict[str, list[float]]]:
        cfg, until = self._pretrain_plan(ctx)
        # Pretrain where this model runs (zoo.cells.train_cell placed it already).
        state, metrics, curves = load_or_pretrain(cfg, ctx, module_device(self), until)
        self._pretrained_with, self._until = cfg, until
        self._converged = bool(metrics.get("pretrain/converged", 0.0))
        # In place (copied onto the model's device): frozen params stay frozen.
        self.encoder.bilm.load_state_dict(state)
        return metrics, curves

    def _pretrain_plan(self, ctx) -> tuple[BiLMConfig, UntilConverged | None]:
        """The biLM config and, until converged, the stopping rule a context asks for."""
        cfg = self.encoder.bilm.cfg
        cap, steps = float(ctx.max_seconds or 0.0), int(ctx.max_steps or 0)
        if ctx.until_converged:
            # Held-out perplexity decides; the profile's steps and seconds are safety caps.
            rule = UntilConverged()
            return cfg, dataclasses.replace(
                rule, patience=ctx.patience or rule.patience,
                eval_every=ctx.eval_every or rule.eval_every,
                max_steps=steps or rule.max_steps, max_seconds=cap or rule.max_seconds)
        if steps > 0:
            # A step budget decides; the profile's seconds (above or below the biLM's own)
            # are only its safety cap. The standard run of 2026-12-06 kept the biLM's own
            # 180 s and stopped at 849 of its 1,000 steps.
            return dataclasses.replace(cfg, max_steps=steps,
                                       max_seconds=cap or cfg.max_seconds), None
        # A profile may cap the pretraining time (e.g. a smoke profile); the capped config
        # hashes differently, so its biLM is cached apart from the full one.
        if 0 < cap < cfg.max_seconds:
            return dataclasses.replace(cfg, max_seconds=cap), None
        return cfg, None

    def describe(self) -> dict[str, object]:
        cfg = self._pretrained_with or self.encoder.bilm.cfg
        until = self._until
        return {
            "elmo_mode": "frozen" if self.encoder.frozen else "finetune",
            "bilm_size": cfg.name, "bilm_params": sum(p.numel() for p in
                                                      self.encoder.bilm.parameters()),
            "bilm_char_filters": str(cfg.filters), "bilm_highways": cfg.highways,
            "bilm_proj": cfg.proj, "bilm_cell": cfg.cell, "bilm_layers": 2,
            "bilm_max_chars": cfg.max_chars,
            # Whether the biLM early-stopped on held-out perplexity ("unknown" before
            # pretrain()); a budgeted or capped one is not converged.
            "bilm_converged": "unknown" if self._converged is None else self._converged,
            "pretrain_until_converged": until is not None,
            "pretrain_epochs": 0 if until else cfg.epochs,
            "pretrain_max_seconds": until.max_seconds if until else cfg.max_seconds,
            "pretrain_max_steps": until.max_steps if until else cfg.max_steps,
            "pretrain_patience": until.patience if until else 0,
            "pretrain_eval_every": until.eval_every if until else 0,
            "pretrain_min_delta": until.min_delta if until else 0.0,
            "pretrain_lm_vocab": cfg.lm_vocab,
            "pretrain_samples": cfg.lm_samples, "pretrain_batch_size": cfg.batch_size,
            "pretrain_lr": cfg.lr, "task_hidden": self.encoder.output_dim // 2,
            "task_word_dim": self.encoder.word_embed.embedding_dim,
        }


class ElmoClassifier(_ElmoHooks, SequenceClassifier):
    pass


class ElmoTagger(_ElmoHooks, SequenceTagger):
    pass


def _build(info: DataInfo, cfg: BiLMConfig, *, frozen: bool, word_dim: int, task_hidden: int,
           dropout: float):
    encoder = ElmoEncoder(info.vocab, cfg, word_dim=word_dim, task_hidden=task_hidden,
                          frozen=frozen, dropout=dropout)
    # NER gets a CRF, as in the ELMo paper's tagger (`crf` is ignored for classification).
    model = classifier_or_tagger(encoder, info, pooling="meanmax", crf=True, dropout=dropout)
    cls = ElmoClassifier if isinstance(model, SequenceClassifier) else ElmoTagger
    return cls(model.encoder, model.head)


TINY = BiLMConfig(name="tiny", char_dim=8, filters=((1, 8), (2, 8), (3, 16)), highways=1,
                  proj=16, cell=32, max_chars=16, dropout=0.0, lm_vocab=2000, lm_samples=256,
                  epochs=1, max_seconds=30.0, batch_size=32, lr=3e-3)
SMALL = BiLMConfig(name="small", char_dim=16,
                   filters=((1, 32), (2, 32), (3, 64), (4, 128), (5, 128)), highways=1,
                   proj=64, cell=256, max_chars=20, dropout=0.1, lm_vocab=20000,
                   lm_samples=1024, epochs=3, max_seconds=180.0, batch_size=64, lr=2e-3)
BASE = BiLMConfig(name="base", char_dim=16,
                  filters=((1, 32), (2, 32), (3, 64), (4, 128), (5, 256), (6, 256)),
                  highways=2, proj=128, cell=512, max_chars=30, dropout=0.1, lm_vocab=20000,
                  lm_samples=2048, epochs=5, max_seconds=300.0, batch_size=64, lr=2e-3)


@register_model("tiny_elmo_frozen", family="elmo", tasks=CLS_TAG, size="tiny", **BI_CRF,
                encoder_mode="frozen", twins=Twins(finetuned="tiny_elmo_finetune"))
def tiny_elmo_frozen(info: DataInfo):
    """ELMo (tiny biLM, frozen) + task BiLSTM, 8 hidden (tests only)."""
    return _build(info, TINY, frozen=True, word_dim=8, task_hidden=8, dropout=0.0)


@register_model("tiny_elmo_finetune", family="elmo", tasks=CLS_TAG, size="tiny", **BI_CRF,
                encoder_mode="finetuned", twins=Twins(frozen="tiny_elmo_frozen"))
def tiny_elmo_finetune(info: DataInfo):
    """ELMo (tiny biLM, fine-tuned) + task BiLSTM, 8 hidden (tests only)."""
    return _build(info, TINY, frozen=False, word_dim=8, task_hidden=8, dropout=0.0)


@register_model("elmo_frozen_small", family="elmo", tasks=CLS_TAG, size="small", **BI_CRF,
                encoder_mode="frozen", twins=Twins(finetuned="elmo_finetune_small"),
                **recipes.ELMO)
def elmo_frozen_small(info: DataInfo):
    """ELMo-style biLM (P=64, cell 256, pretrained per profile, frozen) + BiLSTM 64.

    Its biLM pretrains until converged in standard and full, for 400 steps in quick."""
    return _build(info, SMALL, frozen=True, word_dim=50, task_hidden=64, dropout=0.3)


@register_model("elmo_finetune_small", family="elmo", tasks=CLS_TAG, size="small", **BI_CRF,
                encoder_mode="finetuned", twins=Twins(frozen="elmo_frozen_small"),
                **recipes.ELMO)
def elmo_finetune_small(info: DataInfo):
    """ELMo-style biLM (P=64, cell 256, pretrained per profile, fine-tuned) + BiLSTM 64.

    Its biLM pretrains until converged in standard and full, for 400 steps in quick."""
    return _build(info, SMALL, frozen=False, word_dim=50, task_hidden=64, dropout=0.3)


@register_model("elmo_frozen_base", family="elmo", tasks=CLS_TAG, size="base", **BI_CRF,
                encoder_mode="frozen",
                twins=Twins(small="elmo_frozen_small", finetuned="elmo_finetune_base"),
                **recipes.ELMO)
def elmo_frozen_base(info: DataInfo):
    """ELMo-style biLM (P=128, cell 512, pretrained per profile, frozen) + BiLSTM 128.

    Its biLM pretrains until converged in standard and full, for 400 steps in quick."""
    return _build(info, BASE, frozen=True, word_dim=100, task_hidden=128, dropout=0.4)


@register_model("elmo_finetune_base", family="elmo", tasks=CLS_TAG, size="base", **BI_CRF,
                encoder_mode="finetuned",
                twins=Twins(small="elmo_finetune_small", frozen="elmo_frozen_base"),
                **recipes.ELMO)
def elmo_finetune_base(info: DataInfo):
    """ELMo-style biLM (P=128, cell 512, pretrained per profile, fine-tuned) + BiLSTM 128.

    Its biLM pretrains until converged in standard and full, for 400 steps in quick."""
    return _build(info, BASE, frozen=False, word_dim=100, task_hidden=128, dropout=0.4)
