"""Streams of requests for the monitor: in-distribution lines, and six kinds of drift.

The deployed line model reads Lab 3's EMNIST-substitute lines (white ink on black, 28 x 896).
An in-distribution request is such a line (validation-split characters, Brown corpus text);
a drifted one changed on the way to the API:

| stream | what changed |
|---|---|
| `other_writers` | cursive handwriting (the IAM substitute's test writers), brought to the same 28 x 896 form |
| `blur` | an out-of-focus photo (Gaussian blur, sigma 1.5 px) |
| `inverted_ink` | dark ink on light paper (a scan instead of the model's white-on-black) |
| `paper_noise` | a phone photo of paper: grey, unevenly lit, grainy |
| `rotated` | the page photographed sideways (rotated by 90 degrees) |
| `other_language` | Italian text written with the same characters |

Reading thousands of lines is the slow part (about 25 ms each on a CPU), so every stream is built
from a **pool**: `pool_features` renders `count` requests once, sends each through the API's
recognizer, and keeps their features in a cache (`data/processed/monitoring/`). `replay` then
draws a stream of any length from the pools in milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import ndimage

from text_recognizer.monitoring.features import FEATURES, as_columns, request_features
from text_recognizer.paths import processed_dir

REFERENCE_SEED = 0
"""Seed of the reference profile's validation lines; streams use other seeds (other lines)."""
STREAM_SEED = 1
MAX_LENGTH = 32
BLUR_SIGMA = 1.5
OTHER_LANGUAGE_TEXT = (
    # The first articles of the Universal Declaration of Human Rights in Italian, accents folded
    # to the model's characters (it reads no accented letters).
    "Tutti gli esseri umani nascono liberi ed eguali in dignita e diritti. Essi sono dotati di ragione "
    "e di coscienza e devono agire gli uni verso gli altri in spirito di fratellanza. Ad ogni individuo "
    "spettano tutti i diritti e tutte le liberta enunciate nella presente Dichiarazione, senza distinzione "
    "alcuna, per ragioni di razza, di colore, di sesso, di lingua, di religione, di opinione politica o di "
    "altro genere, di origine nazionale o sociale, di ricchezza, di nascita o di altra condizione. Nessuna "
    "distinzione sara inoltre stabilita sulla base dello statuto politico, giuridico o internazionale del "
    "paese o del territorio cui una persona appartiene, sia che tale paese o territorio sia indipendente, "
    "o sottoposto ad amministrazione fiduciaria o non autonomo, o soggetto a qualsiasi limitazione di "
    "sovranita. Ogni individuo ha diritto alla vita, alla liberta ed alla sicurezza della propria persona. "
    "Nessun individuo potra essere tenuto in stato di schiavitu o di servitu; la schiavitu e la tratta "
    "degli schiavi saranno proibite sotto qualsiasi forma. Nessun individuo potra essere sottoposto a "
    "tortura o a trattamento o a punizione crudeli, inumani o degradanti. Ogni individuo ha diritto, in "
    "ogni luogo, al riconoscimento della sua personalita giuridica. Tutti sono eguali dinanzi alla legge e "
    "hanno diritto, senza alcuna discriminazione, ad una eguale tutela da parte della legge."
)


# --- rendering ------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _line_parts(seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The validation-split characters and rendered punctuation that EMNIST lines are made of."""
    from text_recognizer.data.emnist_lines import SYMBOLS, EmnistLines
    from text_recognizer.data.synthetic.symbol_rendering import render_symbol_pool

    characters = EmnistLines(source="substitute", num_train=0, num_val=0, num_test=0).characters.load()
    images, labels = characters.get("val")
    return images, labels, render_symbol_pool("val", SYMBOLS, 100, seed)


def emnist_lines(count: int, seed: int, sentences: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """`count` in-distribution lines (uint8, count x 28 x 896) and their texts (Brown corpus by default)."""
    from text_recognizer.data.character_mapping import indices_to_text
    from text_recognizer.data.emnist_lines import build_lines
    from text_recognizer.data.synthetic.sentences import TextSampler, brown_sentences

    images, labels, symbols = _line_parts(seed)
    texts = TextSampler(sentences or brown_sentences("val"), MAX_LENGTH)
    x, y = build_lines(images, labels, texts=texts, symbols=symbols, count=count, max_length=MAX_LENGTH,
                       overlap=(0.0, 0.33), rng=np.random.default_rng([seed, 7]))
    return x, [indices_to_text(row) for row in y]


def other_writers(count: int, seed: int) -> list[np.ndarray]:
    """Lines written by the IAM substitute's test writers, normalized to the model's 28 x 896 form."""
    from text_recognizer.data.synthetic.handwriting_writers import writers
    from text_recognizer.data.synthetic.line_rendering import render_line
    from text_recognizer.data.synthetic.sentences import TextSampler, brown_sentences
    from text_recognizer.images.line_normalization import normalize_line

    rng = np.random.default_rng([seed, 11])
    hands, texts = writers("test"), TextSampler(brown_sentences("val"), MAX_LENGTH)
    return [normalize_line(render_line(texts.sample(rng), hands[i % len(hands)], rng), 28, 28 * MAX_LENGTH)
            for i in range(count)]


def photographed_paper(line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A white-on-black line as a phone photo of paper: dark ink, grey uneven light, grain."""
    height, width = line.shape
    light = np.linspace(rng.uniform(110, 150), rng.uniform(170, 210), width)[None, :]
    light = light + rng.uniform(-20, 20) * np.linspace(-1, 1, height)[:, None]
    ink = ndimage.gaussian_filter(line.astype(np.float32) / 255.0, 0.6)
    photo = light - ink * (light - rng.uniform(20, 60)) + rng.normal(0, 14, size=line.shape)
    return np.clip(photo, 0, 255).astype(np.uint8)


def _transformed(transform: Callable[[np.ndarray, np.random.Generator], np.ndarray]) -> Callable:
    def render(count: int, seed: int) -> list[np.ndarray]:
        lines, _ = emnist_lines(count, seed)
        rng = np.random.default_rng([seed, 13])
        return [transform(line, rng) for line in lines]
    return render


def _other_language(count: int, seed: int) -> list[np.ndarray]:
    folded = unicodedata.normalize("NFKD", OTHER_LANGUAGE_TEXT).encode("ascii", "ignore").decode()
    return list(emnist_lines(count, seed, [folded])[0])


RENDERERS: dict[str, Callable[[int, int], list[np.ndarray]]] = {
    "in_distribution": lambda count, seed: list(emnist_lines(count, seed)[0]),
    "other_writers": other_writers,
    "blur": _transformed(lambda line, rng: np.clip(ndimage.gaussian_filter(line.astype(np.float32), BLUR_SIGMA),
                                                   0, 255).astype(np.uint8)),
    "inverted_ink": _transformed(lambda line, rng: 255 - line),
    "paper_noise": _transformed(photographed_paper),
    "rotated": _transformed(lambda line, rng: np.ascontiguousarray(np.rot90(line, 1 if rng.random() < 0.5 else 3))),
    "other_language": _other_language,
}
STREAMS = tuple(RENDERERS)
DRIFTED_STREAMS = STREAMS[1:]


def render_stream(name: str, count: int, seed: int = STREAM_SEED) -> list[np.ndarray]:
    """`count` request images of stream `name` (one of `STREAMS`)."""
    if name not in RENDERERS:
        raise ValueError(f"Unknown stream {name!r}; use one of {STREAMS}.")
    return RENDERERS[name](count, seed)


# --- features of a pool, cached -------------------------------------------------------------------
def line_recognizer() -> Any:
    """The recognizer with the deployed line model only (no page model: streams are lines)."""
    from text_recognizer.predictors.line_predictor import LinePredictor
    from text_recognizer.predictors.recognizer import Recognizer, model_provenance

    return Recognizer(LinePredictor(), models={"line": model_provenance(LinePredictor.default_config)})


def read_requests(images: list[np.ndarray], recognizer: Any) -> dict[str, np.ndarray]:
    """Send each image through `recognizer.recognize(image, "line")`; the features of every request."""
    import time

    records = []
    for image in images:
        started = time.perf_counter()
        answer = recognizer.recognize(image, "line")
        records.append(request_features(image, answer, time.perf_counter() - started))
    return as_columns(records)


def pool_features(name: str, count: int, seed: int = STREAM_SEED, recognizer: Any = None,
                  cache: bool = True) -> dict[str, np.ndarray]:
    """The features of `count` requests of stream `name`, read by `recognizer` (default: the deployed
    line model); cached under `data/processed/monitoring/` by stream, size, seed and model weights."""
    recognizer = recognizer if recognizer is not None else _default_recognizer()
    model = (getattr(recognizer, "models", {}) or {}).get("line", {})
    key = json.dumps([name, count, seed, model.get("weights_sha256"), FEATURES], sort_keys=True)
    path = processed_dir("monitoring") / f"{name}_{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
    if cache and model.get("weights_sha256") and path.is_file():
        with np.load(path) as stored:
            return {feature: stored[feature] for feature in FEATURES}
    columns = read_requests(render_stream(name, count, seed), recognizer)
    if cache and model.get("weights_sha256"):
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **columns)
    return columns


@lru_cache(maxsize=1)
def _default_recognizer() -> Any:
    return line_recognizer()


# --- replay ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stream:
    """A replayed stream: one value per request and feature, and which requests were drifted."""

    name: str
    columns: dict[str, np.ndarray]
    drifted: np.ndarray
    onset: int | None

    def __len__(self) -> int:
        return len(self.drifted)


def replay(pools: Mapping[str, Mapping[str, np.ndarray]], name: str, length: int, onset: int | None = None,
           seed: int = 0) -> Stream:
    """A stream of `length` requests drawn (with replacement) from the pools.

    Args:
        pools: stream name -> its pool's features (`pool_features`); needs "in_distribution" and `name`.
        name: the stream; "in_distribution" has no drift at all.
        onset: for a drifted stream, requests before this index are in-distribution (the day before
            the change); None: drifted from the first request.
    """
    if name not in pools or "in_distribution" not in pools:
        raise ValueError(f"Replaying {name!r} needs the pools of 'in_distribution' and {name!r}; have "
                         f"{sorted(pools)}: build them with pool_features.")
    rng = np.random.default_rng([seed, STREAMS.index(name) if name in STREAMS else 99])
    start = length if name == "in_distribution" else (onset or 0)
    drifted = np.arange(length) >= start
    columns = {}
    normal, changed = pools["in_distribution"], pools[name]
    normal_rows = rng.integers(len(normal[FEATURES[0]]), size=length)
    changed_rows = rng.integers(len(changed[FEATURES[0]]), size=length)
    for feature in FEATURES:
        columns[feature] = np.where(drifted, changed[feature][changed_rows], normal[feature][normal_rows])
    return Stream(name, columns, drifted, None if name == "in_distribution" else start)
