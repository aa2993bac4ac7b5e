"""The model catalog, its front door and the profiles that select from it by metadata.

PINNED is each profile's planned matrix (models per dataset, floors included) as it stood
when the profiles still listed names by hand (2026-12-05): selecting by metadata must plan
exactly the same cells. A deliberate change to a profile updates it here, in the same commit.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from zoo import model_catalog, model_index
from zoo.configs import PROFILES, get_profile
from zoo.model_catalog import Twins, register_model
from zoo.model_index import ModelFacts
from zoo.models import entries, get_entry, list_models
from zoo.sweep.plan import plan_cells

ROOT = Path(__file__).resolve().parents[1]
PINNED = {
    "quick": {
        "mr": """
            bilstm_small bilstm_small_ort bilstm_small_ort_q8 cnn_small elmo_frozen_small
            gru_small lstm_small majority_class nb_bigrams nb_logreg rnn_small tfidf_logreg
            transformer_small minilm_frozen minilm_l6 minilm_l6_ort minilm_l6_ort_q8
            """,
        "wnut16": """
            all_o bilstm_crf_small bilstm_crf_small_ort bilstm_crf_small_ort_q8 bilstm_small
            bilstm_small_ort bilstm_small_ort_q8 cnn_small elmo_frozen_small feature_crf
            gru_small lstm_small rnn_small transformer_small minilm_frozen
            """,
        "tatoeba-en-es": """
            copy_source lexical_translation seq2seq_gru_small seq2seq_transformer_small
            """,
    },
    "standard": {
        "mr": """
            bilstm_small bilstm_small_ort bilstm_small_ort_q8 cnn_small elmo_frozen_small
            gru_small lstm_attn_small lstm_small majority_class nb_bigrams nb_logreg
            rnn_small tfidf_logreg transformer_small minilm_frozen minilm_l6 minilm_l6_ort minilm_l6_ort_q8
            """,
        "wnut16": """
            all_o bilstm_crf_small bilstm_crf_small_ort bilstm_crf_small_ort_q8 bilstm_small
            bilstm_small_ort bilstm_small_ort_q8 cnn_small elmo_frozen_small feature_crf
            gru_small lstm_small rnn_small transformer_small minilm_frozen minilm_l6 minilm_l6_ort minilm_l6_ort_q8
            """,
        "tatoeba-en-es": """
            copy_source lexical_translation seq2seq_gru_small seq2seq_lstm_small
            seq2seq_transformer_small
            """,
    },
    "full": {
        "conll2003": """
            all_o bilstm_base bilstm_crf_base bilstm_crf_small bilstm_crf_small_ort
            bilstm_crf_small_ort_q8 bilstm_small bilstm_small_ort bilstm_small_ort_q8
            cnn_base cnn_small cnn_small_ort cnn_small_ort_q8 elmo_finetune_base
            elmo_frozen_base feature_crf gru_small lstm_base lstm_small lstm_small_ort
            lstm_small_ort_q8 minilm_frozen minilm_l6 minilm_l6_ort minilm_l6_ort_q8 rnn_small transformer_base transformer_crf_base
            """,
        "wnut17": """
            all_o bilstm_base bilstm_crf_base bilstm_crf_small bilstm_crf_small_ort
            bilstm_crf_small_ort_q8 bilstm_small bilstm_small_ort bilstm_small_ort_q8
            cnn_base cnn_small cnn_small_ort cnn_small_ort_q8 elmo_finetune_base
            elmo_frozen_base feature_crf gru_small lstm_base lstm_small lstm_small_ort
            lstm_small_ort_q8 minilm_frozen minilm_l6 minilm_l6_ort minilm_l6_ort_q8 rnn_small transformer_base transformer_crf_base
            """,
        "sst2": """
            bilstm_base bilstm_small bilstm_small_ort bilstm_small_ort_q8 cnn_base cnn_small
            cnn_small_ort cnn_small_ort_q8 elmo_finetune_base elmo_frozen_base gru_small
            lstm_attn_base lstm_base lstm_small lstm_small_ort lstm_small_ort_q8
            majority_class minilm_frozen minilm_l6 minilm_l6_ort minilm_l6_ort_q8 nb_bigrams nb_logreg rnn_small tfidf_logreg
            transformer_base
            """,
        "multi30k": """
            copy_source lexical_translation seq2seq_lstm_base seq2seq_transformer_base
            """,
    },
}
CELLS = {"quick": 50, "standard": 442, "full": 1720}


@pytest.mark.parametrize("profile", sorted(PINNED))
def test_profile_matrix_is_pinned(profile):
    cells = plan_cells(profile)
    planned: dict[str, set[str]] = {}
    for cell in cells:
        planned.setdefault(cell.dataset, set()).add(cell.model)
    assert {ds: sorted(m) for ds, m in planned.items()} == {
        ds: sorted(names.split()) for ds, names in PINNED[profile].items()}
    assert len(cells) == CELLS[profile]


def _with_entry(monkeypatch, name: str, **meta) -> None:
    """A new model as its family file and its index row add it (the profiles read the index;
    tests/test_model_index.py keeps the two equal)."""
    monkeypatch.setattr(model_catalog, "_REGISTRY", dict(model_catalog._REGISTRY))
    register_model(name, family="lstm", tasks=("sentiment", "ner"), **meta)(lambda info: None)
    row = ModelFacts(name, "lstm", ("sentiment", "ner"), size=meta["size"])
    monkeypatch.setattr(model_index, "MODELS", tuple(sorted(
        (*model_index.MODELS, row), key=lambda f: f.name)))


def test_a_new_small_model_joins_quick_and_standard_without_editing_configs(monkeypatch):
    _with_entry(monkeypatch, "gru2_small", size="small", bidirectional=False)
    for name in ("quick", "standard"):
        assert "gru2_small" in get_profile(name).models
    assert "gru2_small" not in get_profile("full").models  # full runs each family's largest
    _with_entry(monkeypatch, "tiny_gru2", size="tiny")
    assert not any("tiny_gru2" in p.models for p in PROFILES.values())


def test_every_entry_states_its_metadata():
    for e in entries():
        assert (e.size is None) == (e.kind == "classical"), e.name
        assert e.size in (*model_catalog.SIZES, None), e.name
        assert (e.base is None) == (e.runtime == "torch"), e.name
        if e.base:  # a runtime twin shares its float base's metadata
            base = get_entry(e.base)
            assert (e.family, e.size, e.bidirectional, e.crf, e.tasks) == (
                base.family, base.size, base.bidirectional, base.crf, base.tasks), e.name


def test_textbook_twins_differ_in_their_one_property():
    pairs = 0
    for e in entries():
        t = e.twins
        if t.unidirectional:
            other = get_entry(t.unidirectional)
            assert (e.bidirectional, other.bidirectional, e.size) == (True, False, other.size)
        if t.no_crf:
            other = get_entry(t.no_crf)
            assert (e.crf, other.crf, e.size) == (True, False, other.size)
        if t.small:
            other = get_entry(t.small)
            assert (e.size, other.size, e.crf) == ("base", "small", other.crf)
        pairs += sum(bool(v) for v in vars(t).values())
    assert pairs >= 20
    assert get_entry("bilstm_base").twins == Twins(unidirectional="lstm_base",
                                                   small="bilstm_small")


def test_entry_tags_carry_the_metadata():
    tags = get_entry("bilstm_crf_small_ort_q8").tags()
    assert tags["runtime"] == "onnx_q8" and tags["base_model"] == "bilstm_crf_small"
    assert (tags["model_size"], tags["bidirectional"], tags["crf"]) == ("small", "true", "true")
    assert get_entry("bilstm_crf_base").tags()["twin_small"] == "bilstm_crf_small"
    assert get_entry("tfidf_logreg").tags()["model_size"] == ""
    assert all(isinstance(v, str) for e in entries() for v in e.tags().values())


def test_neural_models_must_state_their_size():
    with pytest.raises(ValueError, match="a neural model has a size"):
        register_model("unsized", family="lstm", tasks=("sentiment",))
    with pytest.raises(ValueError, match="a neural model has a size"):
        register_model("sized_classical", family="x", tasks=("sentiment",), kind="classical",
                       size="small")


def test_catalog_imports_no_family_and_models_listing_stays_light(zoo_home):
    """zoo.model_catalog is pure data (no family, no torch); importing every family (zoo.models)
    loads no scikit-learn, sacreBLEU or seqeval (they load to fit or score). The listing itself
    reads zoo.model_index and imports no family (tests/test_home_and_listings.py)."""
    code = (
        "import sys\n"
        "import zoo.model_catalog\n"
        "assert not [m for m in sys.modules if m.startswith(('zoo.families', 'torch'))]\n"
        "import zoo.cli, zoo.models\n"
        "assert zoo.cli.main(['models', '--no-params', '--all']) == 0\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'sacrebleu', "
        "'seqeval', 'skops', 'mlflow', 'prefect'})\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "bilstm_crf_small" in result.stdout
    assert len(list_models()) > 50


def test_a_profile_may_run_a_model_on_fewer_cells_unless_the_user_names_it():
    quick = plan_cells("quick", datasets=["mr", "wnut16"])
    tuned = {(c.dataset, c.train_size) for c in quick if c.model.startswith("minilm_l6")}
    assert tuned == {("mr", 0.1)}  # Profile.only_at
    named = plan_cells("quick", datasets=["mr", "wnut16"], models=["minilm_l6"])
    assert {(c.dataset, c.train_size) for c in named if c.model == "minilm_l6"} == {
        ("mr", 0.1), ("mr", 0.3), ("wnut16", 1.0)}
