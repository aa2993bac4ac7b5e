"""The data types every dataset is parsed into, whatever its source format."""
from __future__ import annotations

from dataclasses import dataclass

TASKS = ("sentiment", "ner", "translation")


@dataclass(frozen=True)
class Example:
    """One annotated example. Which optional field is set depends on the task.

    sentiment:   tokens + label
    ner:         tokens + tags (one BIO tag per token)
    translation: tokens (source sentence) + target (reference translation tokens)
    """

    tokens: tuple[str, ...]
    label: str | None = None
    tags: tuple[str, ...] | None = None
    target: tuple[str, ...] | None = None

    def to_json(self) -> dict:
        out: dict = {"tokens": list(self.tokens)}
        if self.label is not None:
            out["label"] = self.label
        if self.tags is not None:
            out["tags"] = list(self.tags)
        if self.target is not None:
            out["target"] = list(self.target)
        return out

    @classmethod
    def from_json(cls, obj: dict) -> Example:
        return cls(
            tokens=tuple(obj["tokens"]),
            label=obj.get("label"),
            tags=tuple(obj["tags"]) if "tags" in obj else None,
            target=tuple(obj["target"]) if "target" in obj else None,
        )
