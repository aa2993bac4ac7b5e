"""A user's own data through a dataset card (zoo.data.user_cards): each reader, each bad
input with its one-line message (nothing registered), and a changed file re-running only
the cells that read it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from zoo.data import DatasetError, get_card, list_datasets, prepare_dataset
from zoo.data.user_add import add_card
from zoo.home import user_cards_dir

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "your-data"


@pytest.fixture
def home(zoo_home, tmp_path):
    return tmp_path


def _copy_example(task: str, dest: Path) -> Path:
    shutil.copytree(EXAMPLES / task, dest / task)
    return dest / task / "card.toml"


def _card(folder: Path, body: str, files: dict[str, bytes | str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    (folder / "card.toml").write_text(body)
    return folder / "card.toml"


def _prepare(name: str, home: Path):
    return prepare_dataset(name, cache_dir=home / "cache")


def test_each_example_card_registers_and_prepares(home):
    expected = {"shop-reviews": ("sentiment", {"train": 84, "dev": 18, "test": 18}),
                "office-ner": ("ner", {"train": 90, "dev": 20, "test": 20}),
                "kitchen-en-fr": ("translation", {"train": 70, "dev": 15, "test": 15})}
    for task in ("sentiment", "ner", "translation"):
        card, replaced, sizes = add_card(_copy_example(task, home))
        assert not replaced and (card.task, sizes) == expected[card.name]
    listed = {c.name: c for c in list_datasets()}
    assert {"mr", "wnut16", *expected} <= set(listed)  # beside the built-in ones
    assert all(listed[n].user for n in expected) and not listed["mr"].user
    reviews = _prepare("shop-reviews", home)
    assert reviews.labels == ("neg", "pos") and reviews.sizes() == expected["shop-reviews"][1]
    # a quoted field holding the delimiter stays one field; CRLF line ends are read
    assert any(ex.tokens[:4] == ("the", "headphones", "arrived", "broken")
               for ex in reviews.splits["train"] + reviews.splits["dev"]
               + reviews.splits["test"])
    ner = _prepare("office-ner", home)
    assert set(ner.labels) == {"O", "B-PER", "I-PER", "B-LOC", "B-ORG", "I-ORG"}
    first = ner.splits["train"][0]  # CoNLL tokens are kept as written
    assert (first.tokens, first.tags) == (("We", "met", "Marie", "at", "Hooli", "."),
                                          ("O", "O", "B-PER", "O", "B-ORG", "O"))
    mt = _prepare("kitchen-en-fr", home)
    assert mt.splits["train"][0].tokens == ("my", "brother", "sees", "an", "apple", ".")
    assert mt.splits["train"][0].target == ("mon", "frère", "voit", "une", "pomme", ".")
    assert get_card("office-ner").licence == "CC0 (example data of the zoo)"


TSV_CARD = """name = "pairs"
task = "translation"
[reader]
format = "delimited"
delimiter = "\\t"
header = false
source_column = 2
target_column = 3
[files]
all = "pairs.tsv"
[split]
strategy = "grouped"
seed = 3
dev_groups = 2
test_groups = 2
"""


def test_one_tsv_of_pairs_with_a_bom_and_numbered_columns(home):
    rows = "".join(f"{i}\tsentence number {i} .\tfrase número {i} .\r\n" for i in range(40))
    card_file = _card(home / "tsv", TSV_CARD, {"pairs.tsv": "\ufeff" + rows})
    card, _, sizes = add_card(card_file)
    assert card.split.strategy == "grouped" and sizes == {"train": 36, "dev": 2, "test": 2}
    data = _prepare("pairs", home)
    first = data.splits["train"][0]
    assert first.tokens[:2] == ("sentence", "number") and first.target[:2] == ("frase", "número")


SENTIMENT = """name = "tiny"
task = "sentiment"
[reader]
format = "delimited"
text_column = "text"
label_column = "label"
[files]
all = "data.csv"
[split]
strategy = "stratified"
fractions = [0.6, 0.2, 0.2]
"""
GOOD_ROWS = "text,label\n" + "".join(f"row {i} is fine,{'pos' if i % 2 else 'neg'}\n"
                                     for i in range(20))
NER = """name = "tags"
task = "ner"
[reader]
format = "conll"
[files]
train = "train.txt"
dev = "dev.txt"
test = "test.txt"
"""
GOOD_NER = "Ada B-PER\nsmiles O\n\nBob B-PER\nleft O\n"
PARALLEL = """name = "par"
task = "translation"
[reader]
format = "parallel"
[files]
train = { source = "train.en", target = "train.de" }
dev = { source = "dev.en", target = "dev.de" }
test = { source = "test.en", target = "test.de" }
"""
_PAR_OK = {"dev.en": "a\n", "dev.de": "b\n", "test.en": "a\n", "test.de": "b\n"}

BAD_INPUTS = {
    "tag not BIO": (NER, {"train.txt": "Ada B-PER\nsmiles X-VERB\n", "dev.txt": GOOD_NER,
                          "test.txt": GOOD_NER},
                    r"train\.txt:2: tag 'X-VERB' is not a BIO tag; tags must be O, B-<type>"),
    "column count (conll)": (NER, {"train.txt": "Ada B-PER\nsmiles O extra\n",
                                   "dev.txt": GOOD_NER, "test.txt": GOOD_NER},
                             r"train\.txt:2: 3 column\(s\) where the file has 2"),
    "column count (csv)": (SENTIMENT, {"data.csv": GOOD_ROWS + "no label here\n"},
                           r"data\.csv:22: 1 column\(s\), but the card reads column 2"),
    "empty file": (NER, {"train.txt": "", "dev.txt": GOOD_NER, "test.txt": GOOD_NER},
                   r"train\.txt holds no examples"),
    "unequal parallel files": (PARALLEL, {"train.en": "one\ntwo\n", "train.de": "eins\n",
                                          **_PAR_OK},
                               r"parallel files differ in length: .*train\.en has 2 lines"),
    "one label": (SENTIMENT, {"data.csv": "text,label\n" + "a good row,pos\n" * 12},
                  r"data\.csv: label column 'label' has one value \('pos'\) in \d+ rows"),
    "encoding": (SENTIMENT, {"data.csv": GOOD_ROWS.encode() + "caf\xe9 ok,pos\n".encode(
        "latin-1")}, r"data\.csv:22: not valid utf-8 text .*; save the file as utf-8"),
    "header lacks the column": (SENTIMENT.replace('"label"', '"stars"'), {"data.csv": GOOD_ROWS},
                                r"data\.csv:1: no column 'stars' in the header \(text, label\)"),
    "unknown card field": (SENTIMENT + 'colour = "red"\n', {"data.csv": GOOD_ROWS},
                           r"card\.toml: \[split\] has unknown field\(s\) colour"),
    "bad fractions": (SENTIMENT.replace("[0.6, 0.2, 0.2]", "[0.6, 0.2]"), {"data.csv": GOOD_ROWS},
                      r"\[split\] fractions = \[0\.6, 0\.2\] are not three shares summing to 1"),
    "missing file": (NER, {"train.txt": GOOD_NER, "dev.txt": GOOD_NER},
                     r"tags: the test file .*test\.txt does not exist; fix \[files\]"),
    "format for another task": (NER.replace('"conll"', '"parallel"'), {},
                                r"reader format 'parallel' cannot hold ner data"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_fails_in_one_line_and_registers_nothing(case, home):
    body, files, message = BAD_INPUTS[case]
    card_file = _card(home / "bad", body, files)
    with pytest.raises(DatasetError, match=message) as err:
        add_card(card_file)
    assert "\n" not in str(err.value)
    assert not user_cards_dir().exists() or not any(user_cards_dir().iterdir())


def test_crlf_and_bom_are_accepted_and_a_builtin_name_is_refused(home):
    crlf = ("\ufeff" + GOOD_ROWS).replace("\n", "\r\n")
    card, _, sizes = add_card(_card(home / "crlf", SENTIMENT, {"data.csv": crlf}))
    assert sum(sizes.values()) == 20
    assert _prepare("tiny", home).splits["train"][0].label in ("pos", "neg")
    with pytest.raises(DatasetError, match="name 'mr' is a built-in dataset"):
        add_card(_card(home / "mr", SENTIMENT.replace('"tiny"', '"mr"'), {"data.csv": GOOD_ROWS}))


def test_a_changed_file_changes_only_its_datasets_fingerprint(home):
    for task in ("sentiment", "ner"):
        add_card(_copy_example(task, home))
    before = {n: _prepare(n, home).fingerprint for n in ("shop-reviews", "office-ner")}
    with (home / "sentiment" / "reviews.csv").open("a", newline="") as f:
        f.write("121,A new review that changes the file.,pos\r\n")
    after = {n: _prepare(n, home) for n in ("shop-reviews", "office-ner")}
    assert after["shop-reviews"].fingerprint != before["shop-reviews"]
    assert not after["shop-reviews"].from_cache
    assert after["office-ner"].fingerprint == before["office-ner"]
    assert after["office-ner"].from_cache


@pytest.mark.timeout(600)
def test_bench_on_user_datasets_reruns_only_the_changed_ones(home, monkeypatch):
    """The flow takes a user's datasets by name, adds each task's floor, and after one file
    changes re-runs that dataset's cells only (the others come from the cache)."""
    from flows.benchmark import benchmark
    from zoo import tracking

    monkeypatch.setenv("ZOO_DATA_CACHE", str(home / "cache"))
    for task in ("sentiment", "ner", "translation"):
        add_card(_copy_example(task, home))
    matrix = dict(profile="quick", datasets=["shop-reviews", "office-ner", "kitchen-en-fr"],
                  models=["tfidf_logreg", "feature_crf", "lexical_translation"],
                  train_sizes=[1.0], seeds=[1], latency_calls=20)
    first = benchmark(**matrix)
    assert first["counts"] == {"measured": 6}  # 3 models + 3 floors
    runs = {(r["tags"]["dataset"], r["tags"]["model"]): r for r in tracking.load_runs()}
    assert runs[("office-ner", "feature_crf")]["metrics"]["test/f1"] > 0.5
    with (home / "sentiment" / "reviews.csv").open("a", newline="") as f:
        f.write("121,A new review that changes the file.,pos\r\n")
    again = benchmark(**matrix)
    assert again["counts"] == {"measured": 2, "cached": 4}
    redone = {(c["dataset"], c["model"]) for c in again["cells"] if c["status"] == "measured"}
    assert redone == {("shop-reviews", "tfidf_logreg"), ("shop-reviews", "majority_class")}
    html = Path(again["report"]).read_text(encoding="utf-8")
    assert "CC0 (example data of the zoo)" in html and "kitchen-en-fr" in html


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_quick_profile_on_each_user_dataset(home, monkeypatch, shared_data_cache):
    """`zoo bench --profile quick --datasets <yours>` for each task: every model of the
    quick profile (the ELMo biLM pretrains on the built-in English datasets) trains,
    is measured and lands in the report; none fails."""
    from flows.benchmark import benchmark

    monkeypatch.setenv("ZOO_DATA_CACHE", str(shared_data_cache))
    for task in ("sentiment", "ner", "translation"):
        add_card(_copy_example(task, home))
    result = benchmark(profile="quick", datasets=["shop-reviews", "office-ner", "kitchen-en-fr"],
                       train_sizes=[1.0], seeds=[1])
    assert result["failed"] == [] and set(result["counts"]) == {"measured"}
    per_dataset = {}
    for cell in result["cells"]:
        per_dataset.setdefault(cell["dataset"], set()).add(cell["model"])
    assert {"cnn_small", "elmo_frozen_small", "tfidf_logreg"} <= per_dataset["shop-reviews"]
    assert {"bilstm_crf_small", "feature_crf"} <= per_dataset["office-ner"]
    assert {"seq2seq_transformer_small", "lexical_translation"} <= per_dataset["kitchen-en-fr"]
