"""The index of every registered model: the facts a listing or a profile reads (name, family,
tasks, kind, size, runtime, float base, floor, pretrained checkpoint, encoder mode, parameter
count, description), as literal data, so that `zoo models` and choosing a profile's models
import no torch and no family file.

The family files remain where a model is defined (`register_model` beside its builder, read by
`zoo.models`); this table repeats what the light readers need. tests/test_model_index.py checks
every row against the registration and the built model's parameter count, so the two cannot
drift: a new model is its builder in a family file plus its row here (the test prints the row).
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ModelFacts:
    """What zoo.model_catalog.ModelEntry says of one model, less its builder and recipe."""

    name: str
    family: str
    tasks: tuple[str, ...]
    kind: str = "neural"  # "neural" (torch, trained by zoo.train) or "classical" (fit/predict)
    size: str | None = None  # tiny | small | base; None for classical models
    runtime: str = "torch"  # torch | onnx | onnx_q8 (ONNX Runtime float / int8 twins of `base`)
    base: str | None = None  # the float torch model a runtime twin runs
    floor: bool = False  # the trivial floor of its task
    pretrained: str = ""  # the outside checkpoint it starts from ("" when none)
    encoder_mode: str = ""  # "frozen" | "finetuned" for a pretrained encoder, else ""
    # Parameters on a reference vocabulary of 10,000 words (2 classes or 13 BIO tags; 10,000
    # target words for translation); None for classical models, whose size depends on the data.
    params: int | None = None
    description: str = ""


def names(pattern: str = "*", task: str | None = None) -> list[str]:
    """zoo.model_catalog.list_models over the index: names matching comma-separated globs,
    optionally only those of one task, sorted."""
    patterns = [p.strip() for p in pattern.split(",") if p.strip()] or ["*"]
    return [f.name for f in MODELS if any(fnmatch.fnmatchcase(f.name, p) for p in patterns)
            and (task is None or task in f.tasks)]


def _with_twins(base: ModelFacts) -> tuple[ModelFacts, ...]:
    """A float model and its ONNX Runtime float and int8 twins, whose facts are the base's
    but for the name, runtime and description (as families/realtime.py registers them)."""
    return (base, *(replace(base, name=f"{base.name}{suffix}", runtime=runtime, base=base.name,
                            description=f"{base.description.rstrip('.')} [ONNX Runtime {kind}]")
                    for suffix, runtime, kind in (("_ort", "onnx", "float"),
                                                  ("_ort_q8", "onnx_q8", "int8"))))


# Sorted by name (the listing's order).
MODELS: tuple[ModelFacts, ...] = tuple(sorted((
    ModelFacts("all_o", "floor", ("ner",), kind="classical", floor=True,
               description='Floor: "O" for every token; span F1 0 by construction.'),
    ModelFacts("bilstm_base", "bilstm", ("sentiment", "ner"), size="base", params=4_516_994,
               description="Stacked BiLSTM, 2 layers, 256 hidden per direction, 200-d embeddings."),
    ModelFacts("bilstm_crf_base", "bilstm_crf", ("ner",), size="base", params=4_593_973,
               description="BiLSTM-CNN-CRF: 2 layers, 256 hidden per direction, 200-d embeddings "
                           "+ a 30-filter"),
    *_with_twins(ModelFacts(
        "bilstm_crf_small", "bilstm_crf", ("ner",),
        size="small", params=1_280_501,
        description="BiLSTM-CNN-CRF (the canonical NER model): 1 layer, 128 hidden per "
                    "direction, 100-d")),
    *_with_twins(ModelFacts(
        "bilstm_small", "bilstm", ("sentiment", "ner"),
        size="small", params=1_236_546,
        description="BiLSTM, 1 layer, 128 hidden per direction, 100-d embeddings.")),
    ModelFacts("cnn_base", "cnn", ("sentiment", "ner"), size="base", params=2_481_802,
               description="Kim CNN, 200 filters x widths 3/4/5 (sentiment); 3 layers x widths "
                           "3/5 (NER)."),
    *_with_twins(ModelFacts(
        "cnn_small", "cnn", ("sentiment", "ner"),
        size="small", params=1_120_902,
        description="Kim CNN, 100 filters x widths 3/4/5 (sentiment); 2 layers x widths "
                    "3/5 (NER).")),
    ModelFacts("copy_source", "floor", ("translation",), kind="classical", floor=True,
               description="Floor: the source tokens unchanged (the BLEU of echoing the input)."),
    ModelFacts("elmo_finetune_base", "elmo", ("sentiment", "ner"), size="base",
               encoder_mode="finetuned", params=6_397_942,
               description="ELMo-style biLM (P=128, cell 512, pretrained per profile, fine-tuned) "
                           "+ BiLSTM 128."),
    ModelFacts("elmo_finetune_small", "elmo", ("sentiment", "ner"), size="small",
               encoder_mode="finetuned", params=1_571_350,
               description="ELMo-style biLM (P=64, cell 256, pretrained per profile, fine-tuned) "
                           "+ BiLSTM 64."),
    ModelFacts("elmo_frozen_base", "elmo", ("sentiment", "ner"), size="base", encoder_mode="frozen",
               params=6_397_942,
               description="ELMo-style biLM (P=128, cell 512, pretrained per profile, frozen) + "
                           "BiLSTM 128."),
    ModelFacts("elmo_frozen_small", "elmo", ("sentiment", "ner"), size="small",
               encoder_mode="frozen", params=1_571_350,
               description="ELMo-style biLM (P=64, cell 256, pretrained per profile, frozen) + "
                           "BiLSTM 64."),
    ModelFacts("feature_crf", "feature_crf", ("ner",), kind="classical",
               description="CRFsuite CRF over word, shape, affix and +-2 context features; L2 "
                           "tuned on dev."),
    ModelFacts("gru_small", "gru", ("sentiment", "ner"), size="small", params=1_088_834,
               description="GRU, 1 layer, 128 hidden, 100-d embeddings."),
    ModelFacts("lexical_translation", "lexical", ("translation",), kind="classical",
               description="IBM Model 1 word dictionary (EM, iterations chosen on dev BLEU), "
                           "word-by-word output."),
    ModelFacts("lstm_attn_base", "lstm_attn", ("sentiment",), size="base", params=4_548_866,
               description="BiLSTM + additive self-attention pooling: 2 layers, 256 hidden per "
                           "direction."),
    ModelFacts("lstm_attn_small", "lstm_attn", ("sentiment",), size="small", params=1_252_546,
               description="BiLSTM + additive self-attention pooling: 1 layer, 128 hidden per "
                           "direction."),
    ModelFacts("lstm_base", "lstm", ("sentiment", "ner"), size="base", params=2_996_354,
               description="LSTM, 2 layers, 256 hidden, 200-d embeddings."),
    *_with_twins(ModelFacts(
        "lstm_small", "lstm", ("sentiment", "ner"),
        size="small", params=1_118_274,
        description="LSTM, 1 layer, 128 hidden, 100-d embeddings.")),
    ModelFacts("majority_class", "floor", ("sentiment",), kind="classical", floor=True,
               description="Floor: the most frequent training label for every sentence (ties: "
                           "label order)."),
    ModelFacts("minilm_frozen", "pretrained_transformer", ("sentiment", "ner"), size="base",
               pretrained="all-MiniLM-L6-v2", encoder_mode="frozen", params=22_566_154,
               description="all-MiniLM-L6-v2 frozen, scalar mix of its 7 layers (ELMo recipe); "
                           "linear probe,"),
    *_with_twins(ModelFacts(
        "minilm_l6", "pretrained_transformer", ("sentiment", "ner"),
        size="base",
        pretrained="all-MiniLM-L6-v2", encoder_mode="finetuned", params=22_566_146,
        description="MiniLM-L6-H384 (all-MiniLM-L6-v2, pretrained, uncased), fine-tuned; "
                    "22.7M params.")),
    ModelFacts("nb_bigrams", "tfidf", ("sentiment",), kind="classical",
               description="Multinomial naive Bayes on binary word uni+bigrams (MNB-bi), alpha "
                           "tuned on dev."),
    ModelFacts("nb_logreg", "tfidf", ("sentiment",), kind="classical",
               description="NB-weighted binary uni+bigrams + logistic regression (NBSVM's "
                           "logistic variant)."),
    ModelFacts("rnn_small", "rnn", ("sentiment", "ner"), size="small", params=1_029_954,
               description="Elman RNN, 1 layer, 128 hidden, 100-d embeddings."),
    ModelFacts("seq2seq_gru_base", "seq2seq_gru", ("translation",), size="base", params=16_294_162,
               description="BiGRU 256/direction -> GRU 512, Luong attention, 2 layers, beam 5."),
    ModelFacts("seq2seq_gru_small", "seq2seq_gru", ("translation",), size="small", params=5_887_762,
               description="BiGRU 128/direction -> GRU 256, Luong attention, 1 layer, beam 4."),
    ModelFacts("seq2seq_lstm_base", "seq2seq_lstm", ("translation",), size="base",
               params=17_871_122,
               description="BiLSTM 256/direction -> LSTM 512, Luong attention, 2 layers, beam 5."),
    ModelFacts("seq2seq_lstm_small", "seq2seq_lstm", ("translation",), size="small",
               params=6_052_626,
               description="BiLSTM 128/direction -> LSTM 256, Luong attention, 1 layer, beam 4."),
    ModelFacts("seq2seq_transformer_base", "seq2seq_transformer", ("translation",), size="base",
               params=32_312_320,
               description="Pre-LN Transformer, d=512, 3+3 layers, 8 heads, ff 2048, tied "
                           "embeddings, beam 5."),
    ModelFacts("seq2seq_transformer_small", "seq2seq_transformer", ("translation",), size="small",
               params=7_757_312,
               description="Pre-LN Transformer, d=256, 2+2 layers, 4 heads, ff 512, tied "
                           "embeddings, beam 4."),
    ModelFacts("tfidf_logreg", "tfidf", ("sentiment",), kind="classical",
               description="TF-IDF (word uni+bigrams, sublinear tf) + logistic regression, C "
                           "tuned on dev."),
    *_with_twins(ModelFacts(
        "tiny_bert", "pretrained_transformer", ("sentiment", "ner"),
        size="tiny",
        encoder_mode="finetuned", params=166_978,
        description="BERT, 2 layers of 16 (random init, a WordPiece vocabulary of the "
                    "data; tests only).")),
    ModelFacts("tiny_bert_frozen", "pretrained_transformer", ("sentiment", "ner"), size="tiny",
               encoder_mode="frozen", params=166_982,
               description="BERT, 2 layers of 16, frozen under a scalar mix + BiLSTM 8 for NER "
                           "(tests only)."),
    ModelFacts("tiny_bilstm", "bilstm", ("sentiment", "ner"), size="tiny", params=170_882,
               description="BiLSTM, 2 layers, 16 hidden per direction (tests only)."),
    *_with_twins(ModelFacts(
        "tiny_bilstm_crf", "bilstm_crf", ("ner",),
        size="tiny", params=168_497,
        description="BiLSTM-CNN-CRF, 1 layer, 16 hidden per direction, 8 char filters "
                    "(tests only).")),
    ModelFacts("tiny_cnn", "cnn", ("sentiment", "ner"), size="tiny", params=161_610,
               description="CNN, 8 filters per width (tests only)."),
    ModelFacts("tiny_elmo_finetune", "elmo", ("sentiment", "ner"), size="tiny",
               encoder_mode="finetuned", params=108_046,
               description="ELMo (tiny biLM, fine-tuned) + task BiLSTM, 8 hidden (tests only)."),
    ModelFacts("tiny_elmo_frozen", "elmo", ("sentiment", "ner"), size="tiny", encoder_mode="frozen",
               params=108_046,
               description="ELMo (tiny biLM, frozen) + task BiLSTM, 8 hidden (tests only)."),
    ModelFacts("tiny_gru", "gru", ("sentiment", "ner"), size="tiny", params=161_698,
               description="GRU, 1 layer, 16 hidden (tests only)."),
    *_with_twins(ModelFacts(
        "tiny_lstm", "lstm", ("sentiment", "ner"),
        size="tiny", params=162_242,
        description="LSTM, 1 layer, 16 hidden (tests only).")),
    ModelFacts("tiny_lstm_attn", "lstm_attn", ("sentiment",), size="tiny", params=166_594,
               description="BiLSTM + attention pooling, 1 layer, 16 hidden per direction (tests "
                           "only)."),
    ModelFacts("tiny_rnn", "rnn", ("sentiment", "ner"), size="tiny", params=160_610,
               description="Elman RNN, 1 layer, 16 hidden (tests only)."),
    ModelFacts("tiny_seq2seq_gru", "seq2seq_gru", ("translation",), size="tiny", params=662_290,
               description="BiGRU encoder (16/direction) + GRU decoder (32) with attention, beam "
                           "2 (tests only)."),
    ModelFacts("tiny_seq2seq_lstm", "seq2seq_lstm", ("translation",), size="tiny", params=664_978,
               description="BiLSTM encoder (16/direction) + LSTM decoder (32) with attention, "
                           "greedy (tests only)."),
    ModelFacts("tiny_seq2seq_transformer", "seq2seq_transformer", ("translation",), size="tiny",
               params=661_568,
               description="Pre-LN Transformer, d=32, 1+1 layers, 2 heads, ff 64, beam 2 (tests "
                           "only)."),
    ModelFacts("tiny_transformer", "transformer", ("sentiment", "ner"), size="tiny", params=337_218,
               description="Pre-LN Transformer encoder, d=32, 2 layers, 2 heads, ff 64 (tests "
                           "only)."),
    ModelFacts("tiny_transformer_crf", "transformer_crf", ("ner",), size="tiny", params=338_001,
               description="Pre-LN Transformer encoder + BIO-constrained CRF, d=32, 2 layers "
                           "(tests only)."),
    ModelFacts("transformer_base", "transformer", ("sentiment", "ner"), size="base",
               params=4_669_442,
               description="Pre-LN Transformer encoder, d=256, 4 layers, 4 heads, ff 512, dropout "
                           "0.1."),
    ModelFacts("transformer_crf_base", "transformer_crf", ("ner",), size="base", params=4_672_689,
               description="Pre-LN Transformer encoder + BIO-constrained CRF, d=256, 4 layers, 4 "
                           "heads, ff 512."),
    ModelFacts("transformer_crf_small", "transformer_crf", ("ner",), size="small", params=1_547_313,
               description="Pre-LN Transformer encoder + BIO-constrained CRF, d=128, 2 layers, 4 "
                           "heads, ff 256."),
    ModelFacts("transformer_small", "transformer", ("sentiment", "ner"), size="small",
               params=1_545_474,
               description="Pre-LN Transformer encoder, d=128, 2 layers, 4 heads, ff 256, dropout "
                           "0.1."),
), key=lambda facts: facts.name))

BY_NAME: dict[str, ModelFacts] = {f.name: f for f in MODELS}
