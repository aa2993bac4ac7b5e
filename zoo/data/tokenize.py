"""The one word tokenizer shared by every dataset that ships raw text.

Deliberately simple and dependency-free: lower-case, then words (with one inner apostrophe,
so "don't" and "l'homme" stay whole), the doubled-apostrophe quote mark `''` used by the MR
data, or any single other non-space character. It is word-level for every language, Spanish
and German included. Bump TOKENIZER_VERSION whenever the output can change: it is part of
every prepared dataset's fingerprint, so the caches rebuild.
"""
from __future__ import annotations

import re

TOKENIZER_VERSION = "word-regex-1"

_TOKEN_RE = re.compile(r"\w+(?:'\w+)?|''|[^\w\s]")


def word_tokenize(text: str) -> tuple[str, ...]:
    """Lower-cased word tokens of raw text."""
    # Typographic apostrophes would otherwise split "we’ve" into three tokens. (Two
    # str.replace calls are ~5x faster than str.translate here.)
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return tuple(_TOKEN_RE.findall(text.lower()))


def split_pretokenized(text: str) -> tuple[str, ...]:
    """Tokens of text that is already tokenized (SST-2): split on whitespace, nothing else."""
    return tuple(text.split())
