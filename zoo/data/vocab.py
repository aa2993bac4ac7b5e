"""Word vocabularies, built from training data only (never dev or test)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"


class Vocab:
    """A frozen token <-> id map. Id 0 is always padding, id 1 the unknown token."""

    def __init__(self, itos: Sequence[str]):
        if list(itos[:2]) != [PAD, UNK]:
            raise ValueError(f"vocabulary must start with {PAD!r}, {UNK!r}; got {list(itos[:2])}")
        self.itos = list(itos)
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("vocabulary has duplicate tokens")

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        *,
        min_freq: int = 1,
        max_size: int | None = None,
        with_bos_eos: bool = False,
    ) -> Vocab:
        counts = Counter(tok for tokens in token_lists for tok in tokens)
        specials = [PAD, UNK] + ([BOS, EOS] if with_bos_eos else [])
        # Sort by frequency, then alphabetically, so the same data always gives the same ids.
        words = sorted((w for w, c in counts.items() if c >= min_freq and w not in specials),
                       key=lambda w: (-counts[w], w))
        if max_size is not None:
            words = words[: max(0, max_size - len(specials))]
        return cls(specials + words)

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def unk_id(self) -> int:
        return 1

    def id(self, token: str) -> int:
        return self.stoi.get(token, 1)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(t, 1) for t in tokens]

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def to_json(self) -> list[str]:
        return list(self.itos)

    @classmethod
    def from_json(cls, itos: list[str]) -> Vocab:
        return cls(itos)
