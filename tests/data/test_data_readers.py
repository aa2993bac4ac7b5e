"""Every reader on small hand-made files in the real formats, and on broken variants."""
from __future__ import annotations

from pathlib import Path

import pytest

from zoo.data.conll import read_conll, to_iob2
from zoo.data.errors import DatasetError
from zoo.data.readers import read_mr, read_parallel, read_sst, read_tatoeba
from zoo.data.tokenize import word_tokenize

FIXTURES = Path(__file__).parent / "fixtures"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --- tokenizer -----------------------------------------------------------------------------

def test_word_tokenize_lowercases_and_keeps_contractions_whole() -> None:
    assert word_tokenize("It\u2019s ''Amélie'' -- don't!") == (
        "it's", "''", "amélie", "''", "-", "-", "don't", "!")
    assert word_tokenize("¿Quién?") == ("¿", "quién", "?")
    assert word_tokenize("  \t ") == ()


# --- sentiment -----------------------------------------------------------------------------

def test_read_mr_fixture_crlf_utf8_labels_by_id() -> None:
    examples = read_mr(FIXTURES / "mr" / "movieReviewSnippets_GroundTruth.txt")
    assert len(examples) == 20
    assert [ex.label for ex in examples] == ["pos"] * 10 + ["neg"] * 10
    assert examples[1].tokens[:2] == ("it's", "a")  # typographic apostrophe normalised
    assert "amélie" in examples[2].tokens
    assert all(not tok.endswith("\r") for ex in examples for tok in ex.tokens)


def test_read_mr_falls_back_to_latin1(tmp_path: Path) -> None:
    path = _write(tmp_path / "mr.txt", "1\t2.0\tCafé crème.\n5400\t-1.0\tNul.\n", "latin-1")
    examples = read_mr(path)
    assert examples[0].tokens == ("café", "crème", ".")
    assert [ex.label for ex in examples] == ["pos", "neg"]


@pytest.mark.parametrize("bad_line", ["3\t1.5", "3 1.5 spaces instead of tabs", "x\t1.5\ttext"])
def test_read_mr_rejects_bad_lines_with_file_and_line(tmp_path: Path, bad_line: str) -> None:
    path = _write(tmp_path / "mr.txt", f"1\t2.0\tGood.\r\n2\t2.0\tFine.\r\n{bad_line}")
    with pytest.raises(DatasetError, match=r"mr\.txt:3: "):
        read_mr(path)


def test_read_sst_fixture() -> None:
    examples = read_sst(FIXTURES / "sst2" / "stsa.binary.train")
    assert len(examples) == 6
    assert examples[0].label == "pos" and examples[1].label == "neg"
    assert examples[1].tokens == ("the", "story", "is", "-lrb-", "exceedingly", "-rrb-", "dull", ".")
    assert examples[5].tokens[2:7] == ("n't", "a", "new", "idea", "\\/")


@pytest.mark.parametrize(("line", "problem"), [
    ("1\ta tab-separated line", "mixed tab/space"),
    ("2 not a label", "not 0 or 1"),
    ("1", "truncated"),
])
def test_read_sst_rejects_bad_lines(tmp_path: Path, line: str, problem: str) -> None:
    path = _write(tmp_path / "stsa.binary.dev", f"0 fine .\n{line}\n")
    with pytest.raises(DatasetError, match=rf"stsa\.binary\.dev:2: .*{problem}"):
        read_sst(path)


# --- NER -----------------------------------------------------------------------------------

def test_read_wnut16_fixture_tab_breaks() -> None:
    examples = read_conll(FIXTURES / "wnut16" / "ner.txt", columns=2, sep="\t")
    assert len(examples) == 10
    assert examples[0].tokens == ("@paulwalk", "Empire", "State", "Building", "!")
    assert examples[0].tags == ("O", "B-facility", "I-facility", "I-facility", "O")
    assert examples[9].tokens[-1] == "\U0001F600"


def test_read_wnut17_fixture_mixed_break_styles() -> None:
    train = read_conll(FIXTURES / "wnut17" / "wnut17train.conll", columns=2, sep="\t")
    dev = read_conll(FIXTURES / "wnut17" / "emerging.dev.conll", columns=2, sep="\t")
    assert [len(ex.tokens) for ex in train] == [4, 4, 3]
    assert len(dev) == 2 and dev[1].tokens == ("ok", "\u2764")


def test_conll2003_iob1_and_iob2_load_identically() -> None:
    iob1 = read_conll(FIXTURES / "conll2003_iob1" / "train.txt", columns=None, sep=None)
    iob2 = read_conll(FIXTURES / "conll2003_iob2" / "eng.train", columns=None, sep=None)
    assert iob1 == iob2
    assert len(iob1) == 4  # -DOCSTART- lines are skipped, not sentences
    assert iob1[0].tags == ("B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O")
    assert iob1[1].tags == ("B-PER", "I-PER")
    # Adjacent same-type entities (IOB1 "I-LOC B-LOC") stay two entities.
    assert iob1[3].tags == ("B-LOC", "B-LOC", "O", "B-LOC")


def test_conll_tab_separated_columns_are_detected(tmp_path: Path) -> None:
    path = _write(tmp_path / "train.txt", "EU\tNNP\tI-NP\tI-ORG\nrejects\tVBZ\tI-VP\tO\n\n")
    assert read_conll(path, columns=None, sep=None)[0].tags == ("B-ORG", "O")


def test_to_iob2_is_idempotent_and_counts_changes() -> None:
    tags, changed = to_iob2(["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG"])
    assert tags == ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "B-ORG"] and changed == 3
    assert to_iob2(tags) == (tags, 0)


@pytest.mark.parametrize(("text", "lineno", "problem"), [
    ("a\tO\nb\tB-X\n\nc\tO\nd", 5, "column"),  # truncated: last line lost its tag
    ("a\tO\nb\tX-PER\n", 2, "not a BIO tag"),
    ("a\tO\nb\tO\nc\t\n", 3, "has no tag"),
    ("a\tO\nb O\n", 2, "spaces"),  # mixed tab/space columns
    ("a\tO\n\tO\n", 2, "empty token"),
    ("a\tO\nb\tO\tO\n", 2, "column"),
])
def test_wnut_reader_rejects_bad_lines(tmp_path: Path, text: str, lineno: int,
                                       problem: str) -> None:
    path = _write(tmp_path / "ner.txt", text)
    with pytest.raises(DatasetError, match=rf"ner\.txt:{lineno}: .*{problem}"):
        read_conll(path, columns=2, sep="\t")


@pytest.mark.parametrize(("text", "lineno"), [
    ("EU NNP I-NP I-ORG\nrejects\tVBZ\tI-VP\tO\n", 2),  # mixed tab/space
    ("EU NNP I-NP I-ORG\nrejects VBZ I-VP\n", 2),  # truncated line
])
def test_conll2003_reader_rejects_bad_lines(tmp_path: Path, text: str, lineno: int) -> None:
    path = _write(tmp_path / "train.txt", text)
    with pytest.raises(DatasetError, match=rf"train\.txt:{lineno}: "):
        read_conll(path, columns=None, sep=None)


def test_invalid_utf8_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "ner.txt"
    path.write_bytes(b"a\tO\n\xff\tO\n")
    with pytest.raises(DatasetError, match=r"ner\.txt:2: not valid utf-8"):
        read_conll(path, columns=2, sep="\t")


# --- translation ---------------------------------------------------------------------------

def test_read_tatoeba_fixture() -> None:
    examples = read_tatoeba(FIXTURES / "tatoeba-en-es" / "spa.tsv")
    assert len(examples) == 30
    assert examples[4].tokens == ("run", "!") and examples[4].target == ("¡", "corre", "!")
    assert examples[-1].tokens == ("we", "won't", "go", ".")


def test_read_tatoeba_rejects_truncated_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "spa.tsv", "Go.\tVe.\tCC-BY\nHi.\tHol")
    with pytest.raises(DatasetError, match=r"spa\.tsv:2: 2 TAB-separated"):
        read_tatoeba(path)


def test_read_parallel_fixture_keeps_embedded_tab_inside_a_line() -> None:
    folder = FIXTURES / "multi30k"
    examples = read_parallel(folder / "train.en", folder / "train.de")
    assert len(examples) == 4
    assert examples[3].target[-2:] == ("leiter", ".")  # the TAB did not split the line


def test_read_parallel_rejects_mismatched_line_counts(tmp_path: Path) -> None:
    src = _write(tmp_path / "train.en", "A dog.\nA cat.\n")
    tgt = _write(tmp_path / "train.de", "Ein Hund.\n")
    with pytest.raises(DatasetError, match=r"train\.en has 2 lines, .*train\.de has 1"):
        read_parallel(src, tgt)


def test_read_parallel_rejects_empty_line(tmp_path: Path) -> None:
    src = _write(tmp_path / "val.en", "A dog.\n   \n")
    tgt = _write(tmp_path / "val.de", "Ein Hund.\nEine Katze.\n")
    with pytest.raises(DatasetError, match=r"val\.en:2: empty sentence"):
        read_parallel(src, tgt)
