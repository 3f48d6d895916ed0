"""A character n-gram language model: how likely a character is after the few before it.

The line recognizer's CTC output says what each stretch of ink looks like; the language model
says what English text is likely to say. Beam search with both (`models/lm_beam_search.py`)
prefers "showed her" to "shnned her" when the ink is ambiguous, the way a reader does.

The model is trained on the Brown corpus's *train* documents only (the substitute's test lines
come from its test documents), and smoothed by interpolated Witten-Bell:

    P(c | h) = (count(h c) + distinct(h) * P(c | h')) / (count(h) + distinct(h))

where h' is h without its first character and `distinct(h)` is the number of different
characters seen after h; below the unigram the distribution is uniform over the vocabulary, so
no character is ever impossible.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import pickle
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

DEFAULT_ORDER = 6
"""Characters of context plus one: 6 sees the five characters before (about one word)."""
CACHE_SIZE = 500_000  # log-probabilities kept for reuse (a few tens of MB)


class CharNgramModel:
    """Interpolated Witten-Bell character n-gram model (see the module docstring)."""

    def __init__(self, order: int, vocabulary: Sequence[str], followers: dict[str, dict[str, int]]) -> None:
        if order < 1:
            raise ValueError(f"order must be at least 1, got {order}")
        self.order = order
        self.vocabulary = tuple(vocabulary)
        self.followers = followers
        self.totals = {context: sum(counts.values()) for context, counts in followers.items()}
        self._cache: dict[tuple[str, str], float] = {}

    @classmethod
    def train(cls, texts: Iterable[str], vocabulary: Sequence[str], order: int = DEFAULT_ORDER) -> CharNgramModel:
        """Count every character after each of its contexts of 0..order-1 characters.

        The texts are joined with spaces, as the line sampler joins sentences. N-grams holding a
        character outside `vocabulary` are dropped (the recognizer never writes one).
        """
        text = " " + " ".join(texts)
        allowed = set(vocabulary)
        followers: dict[str, Counter] = defaultdict(Counter)
        for n in range(1, order + 1):
            grams = Counter(text[i : i + n] for i in range(len(text) - n + 1))
            for gram, count in grams.items():
                if allowed.issuperset(gram):
                    followers[gram[:-1]][gram[-1]] = count
        return cls(order, vocabulary, dict(followers))

    def log_prob(self, context: str, char: str) -> float:
        """log P(char | context), with the context cut to the model's order - 1 characters."""
        context = context[len(context) - self.order + 1 :] if self.order > 1 else ""
        key = (context, char)
        if key not in self._cache:  # beam search asks the same few contexts again and again
            if len(self._cache) > CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = self._log_prob(context, char)
        return self._cache[key]

    def _log_prob(self, context: str, char: str) -> float:
        """log P(char | context) for a context already cut to the model's order."""
        probability = 1.0 / len(self.vocabulary)
        for length in range(len(context) + 1):  # from the unigram up to the longest context
            suffix = context[len(context) - length :]
            counts = self.followers.get(suffix)
            if counts is None:
                break
            distinct = len(counts)
            probability = (counts.get(char, 0) + distinct * probability) / (self.totals[suffix] + distinct)
        return math.log(probability)

    def text_log_prob(self, text: str, context: str = " ") -> float:
        """log P(text), one character at a time after `context`."""
        total = 0.0
        for char in text:
            total += self.log_prob(context, char)
            context = (context + char)[-(self.order - 1) :] if self.order > 1 else ""
        return total

    def save(self, path: Path) -> None:
        """Pickle the counts (a cache file: rebuilt from the corpus when missing).

        As plain dicts: unpickling 400,000 `Counter`s takes seconds more (the Lambda function loads
        this file at every cold start).
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")  # atomic: readers never see half a file
        followers = {context: dict(counts) for context, counts in self.followers.items()}
        with partial.open("wb") as file:
            pickle.dump((self.order, self.vocabulary, followers), file, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> CharNgramModel:
        """The model `save` wrote."""
        with path.open("rb") as file:
            order, vocabulary, followers = pickle.load(file)  # noqa: S301 (our own cache file)
        return cls(order, vocabulary, followers)


@functools.cache  # one model per process: loading it takes seconds
def brown_language_model(vocabulary: Sequence[str], order: int = DEFAULT_ORDER) -> CharNgramModel:
    """The n-gram model of the Brown corpus's train documents, cached under data/processed/."""
    from text_recognizer.data.synthetic.sentences import brown_sentences, source_name
    from text_recognizer.paths import processed_dir

    # One cache file per corpus source, order and vocabulary.
    digest = hashlib.sha256("\x00".join([source_name(), str(order), *vocabulary]).encode()).hexdigest()[:12]
    path = processed_dir("language_model") / f"brown_train_order{order}_{digest}.pickle"
    if path.is_file():
        try:
            model = CharNgramModel.load(path)
            if model.vocabulary == tuple(vocabulary):
                return model
        except (OSError, pickle.UnpicklingError, EOFError, ValueError):
            pass  # a truncated cache: rebuild it
    model = CharNgramModel.train(brown_sentences("train"), vocabulary, order)
    model.save(path)
    return model
