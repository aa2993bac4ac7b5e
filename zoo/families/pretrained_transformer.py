"""Pretrained transformer encoders, fine-tuned with the task (Devlin et al. 2019): the step of
the lineage after ELMo, where the whole pretrained network is trained with a small head.

Every other neural family learns from the benchmark's own text only; this one starts from
weights pretrained on outside data (MiniLM, distilled from BERT on English Wikipedia and
books, then tuned on a billion sentence pairs), so its numbers answer "what does
pretraining buy?" and its runs say so (`describe`: the checkpoint, its source and licence).
The checkpoint installs from the package index, verified (zoo.checkpoints), in the
`pretrain(ctx)` hook that zoo.cells.train_cell runs before training: building the model
(e.g. `zoo models` counting parameters) downloads nothing.
"""
from __future__ import annotations

from pathlib import Path

from zoo import recipes
from zoo.encoder_head import SequenceClassifier, SequenceTagger, classifier_or_tagger
from zoo.encoders.bert import BertConfig, BertEncoder, load_bert_state
from zoo.encoders.frozen_bert import FrozenBertEncoder
from zoo.encoders.wordpieces import (
    WordPieces,
    tokenizer_for_vocab,
    tokenizer_from_file,
    wordpiece_vocab,
)
from zoo.model_catalog import DataInfo, Twins, register_model
from zoo.checkpoints import MINILM_L6, Checkpoint, fetch_checkpoint

CLS_TAG = ("sentiment", "ner")


class _CheckpointHooks:
    """The optional hooks `zoo.cells.train_cell` calls: pretrain(ctx) and describe()."""

    encoder: BertEncoder | FrozenBertEncoder
    checkpoint: Checkpoint | None = None

    @property
    def bert(self) -> BertEncoder:
        """The pretrained network, fine-tuned (the encoder itself) or frozen inside it."""
        return self.encoder.bert if isinstance(self.encoder, FrozenBertEncoder) else self.encoder

    def pretrain(self, ctx) -> tuple[dict[str, float], dict[str, list[float]]]:
        metrics = {}
        if self.checkpoint is not None:  # else a tiny test model, trained from scratch
            paths = fetch_checkpoint(self.checkpoint)
            load_bert_state(self.bert, paths["model.safetensors"])
            metrics["pretrain/checkpoint_params"] = float(sum(
                p.numel() for p in self.bert.parameters()))
        if isinstance(self.encoder, FrozenBertEncoder):
            # Training starts: features are computed once per sentence from here on, and
            # shared with the other cells of this checkpoint and data.
            self.encoder.enable_feature_cache(self._feature_file(ctx))
            metrics["train/cached_feature_sentences"] = float(len(self.encoder.feature_cache))
        return metrics, {}

    def _feature_file(self, ctx) -> Path | None:
        if self.checkpoint is None or ctx is None:
            return None
        weights = dict((name, sha) for name, _, sha in self.checkpoint.files)
        name = f"{weights['model.safetensors'][:16]}-{ctx.data_fingerprint[:16]}.safetensors"
        return Path(ctx.cache_dir) / "features" / self.checkpoint.name / name

    def finish_training(self) -> None:
        """The cell has trained and read dev, before test: share the features computed and
        read test as served."""
        if isinstance(self.encoder, FrozenBertEncoder):
            self.encoder.stop_caching()

    def describe(self) -> dict[str, object]:
        cfg = self.bert.cfg
        ckpt = self.checkpoint
        frozen = isinstance(self.encoder, FrozenBertEncoder)
        return {"checkpoint": ckpt.name if ckpt else "none (random init)",
                "checkpoint_source": ckpt.source if ckpt else "",
                "checkpoint_licence": ckpt.licence if ckpt else "",
                "bert_layers": cfg.layers, "bert_hidden": cfg.hidden, "bert_heads": cfg.heads,
                "bert_vocab": cfg.vocab_size, "subword": "wordpiece, first piece per word",
                "encoder_mode": "frozen, scalar mix of all layers" if frozen else "finetuned"}


class PretrainedClassifier(_CheckpointHooks, SequenceClassifier):
    pass


class PretrainedTagger(_CheckpointHooks, SequenceTagger):
    pass


def _build(info: DataInfo, cfg: BertConfig, subwords: WordPieces, checkpoint: Checkpoint | None,
           *, dropout: float, frozen_task_hidden: int | None = None):
    """Fine-tuned (`frozen_task_hidden` None): the encoder with a softmax layer per word for
    NER (Devlin et al. 2019, section 5.3: no CRF). Frozen: the ELMo recipe
    (zoo.encoders.frozen_bert), a BiLSTM of `frozen_task_hidden` and a CRF for NER.
    Sentences are mean-pooled over words either way (all-MiniLM-L6-v2 was tuned with mean
    pooling)."""
    frozen = frozen_task_hidden is not None
    if frozen:
        hidden = frozen_task_hidden if info.task == "ner" else 0
        encoder = FrozenBertEncoder(cfg, task_hidden=hidden, dropout=dropout)
    else:
        encoder = BertEncoder(cfg)
    encoder.subwords = subwords
    model = classifier_or_tagger(encoder, info, pooling="mean", crf=frozen, dropout=dropout)
    cls = PretrainedClassifier if isinstance(model, SequenceClassifier) else PretrainedTagger
    built = cls(model.encoder, model.head)
    built.checkpoint = checkpoint
    return built


def _tiny(info: DataInfo) -> tuple[BertConfig, WordPieces]:
    vocab = wordpiece_vocab(info.vocab.itos[2:])
    cfg = BertConfig(vocab_size=len(vocab), hidden=16, layers=2, heads=2, ffn=32,
                     max_positions=128, dropout=0.0)
    return cfg, WordPieces(lambda: tokenizer_for_vocab(vocab), max_pieces=128)


@register_model("tiny_bert", family="pretrained_transformer", tasks=CLS_TAG, size="tiny",
                encoder_mode="finetuned", twins=Twins(frozen="tiny_bert_frozen"))
def tiny_bert(info: DataInfo):
    """BERT, 2 layers of 16 (random init, a WordPiece vocabulary of the data; tests only)."""
    cfg, subwords = _tiny(info)
    return _build(info, cfg, subwords, None, dropout=0.0)


@register_model("tiny_bert_frozen", family="pretrained_transformer", tasks=CLS_TAG,
                size="tiny", encoder_mode="frozen", crf=True,
                twins=Twins(finetuned="tiny_bert"))
def tiny_bert_frozen(info: DataInfo):
    """BERT, 2 layers of 16, frozen under a scalar mix + BiLSTM 8 for NER (tests only)."""
    cfg, subwords = _tiny(info)
    return _build(info, cfg, subwords, None, dropout=0.0, frozen_task_hidden=8)


def _checkpoint_tokenizer(ckpt: Checkpoint):
    return tokenizer_from_file(fetch_checkpoint(ckpt)["tokenizer.json"])


MINILM_CONFIG = BertConfig(vocab_size=30522, hidden=384, layers=6, heads=12, ffn=1536)


@register_model("minilm_l6", family="pretrained_transformer", tasks=CLS_TAG, size="base",
                pretrained=MINILM_L6.name, encoder_mode="finetuned",
                twins=Twins(frozen="minilm_frozen"), **recipes.PRETRAINED)
def minilm_l6(info: DataInfo):
    """MiniLM-L6-H384 (all-MiniLM-L6-v2, pretrained, uncased), fine-tuned; 22.7M params."""
    subwords = WordPieces(lambda: _checkpoint_tokenizer(MINILM_L6))
    return _build(info, MINILM_CONFIG, subwords, MINILM_L6, dropout=0.1)


@register_model("minilm_frozen", family="pretrained_transformer", tasks=CLS_TAG, size="base",
                pretrained=MINILM_L6.name, encoder_mode="frozen", crf=True,
                twins=Twins(finetuned="minilm_l6"), **recipes.FROZEN_ENCODER)
def minilm_frozen(info: DataInfo):
    """all-MiniLM-L6-v2 frozen, scalar mix of its 7 layers (ELMo recipe); linear probe,
    or BiLSTM 128 + CRF for NER."""
    subwords = WordPieces(lambda: _checkpoint_tokenizer(MINILM_L6))
    return _build(info, MINILM_CONFIG, subwords, MINILM_L6, dropout=0.2,
                  frozen_task_hidden=128)
