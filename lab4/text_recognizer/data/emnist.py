"""EMNIST characters (ByClass: digits, upper and lowercase letters), or their offline substitute.

    dataset = EmnistCharacters()   # source="auto": real EMNIST if downloaded, else the substitute
    print(dataset.source_name)     # always says which one you got
    dataset.x_train                # uint8 (N, 28, 28); dataset.y_train: class indices (N,)

Real EMNIST comes from NIST's official MATLAB release (`matlab.zip`, about 700 MB). Fetch it once,
on a machine with internet, with

    python -m text_recognizer.data.emnist --download

Without it, "auto" uses the offline substitute (`synthetic/emnist_substitute.py`) and logs that it does.
"""

from __future__ import annotations

import json
import logging
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Annotated

import numpy as np
import scipy.io
import typer
from scipy.io.matlab import MatReadError

from .. import paths
from .base import Dataset
from .character_mapping import EMNIST_CHARACTERS, emnist_label_to_index
from .download import download, file_sha256, load_spec
from .errors import DataError
from .sampling import balanced_train_val
from .synthetic.emnist_substitute import SOURCE_NAME as SUBSTITUTE_SOURCE_NAME
from .synthetic.emnist_substitute import build_substitute

logger = logging.getLogger(__name__)

EMNIST_SOURCE_NAME = "EMNIST ByClass (NIST's official release)"
BYCLASS_MAT = "matlab/emnist-byclass.mat"  # the member of matlab.zip that the course reads
SOURCES = ("auto", "emnist", "substitute")
# What a damaged zip or .mat file raises, from zipfile, zlib and scipy's MATLAB reader.
UNREADABLE = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error, MatReadError)


class EmnistCharacters(Dataset):
    """Handwritten characters, 28x28, 62 classes (digits, A-Z, a-z) as course class indices.

    Args:
        source: "emnist" (NIST's EMNIST, downloaded if needed), "substitute" (offline: MNIST
            digits + handwriting fonts, not EMNIST) or "auto" (EMNIST if its raw file is already
            downloaded, otherwise the substitute; never touches the network).
        balance: keep at most the mean class count of each class in the train split, so that
            digits (~35,000 each in EMNIST) do not drown out rare letters.
        seed: seed of the balancing, the validation split and the substitute's rendering.
        validation_fraction: part of the (balanced) train split held out for validation.
        letters_per_class_per_font: substitute only: samples of each letter that every train
            font renders (train + validation).
        test_letters_per_class_per_font: substitute only: the same for every test font.
        digits_per_class: substitute only: at most this many MNIST digits of each class in each
            split (None: all; small values make quick builds for tests).
        workers: substitute only: processes that render letters (default: all cores).
    """

    name = "emnist"
    input_shape = (28, 28)

    def __init__(
        self,
        source: str = "auto",
        balance: bool = True,
        seed: int = 0,
        validation_fraction: float = 0.1,
        letters_per_class_per_font: int = 160,
        test_letters_per_class_per_font: int = 100,
        digits_per_class: int | None = None,
        workers: int | None = None,
    ) -> None:
        super().__init__()
        if source not in SOURCES:
            raise ValueError(f"Unknown EMNIST source {source!r}; use one of {SOURCES}")
        self.requested_source = source
        self.source = _resolve_source(source)
        self.balance = balance
        self.seed = seed
        self.validation_fraction = validation_fraction
        self.letters_per_class_per_font = letters_per_class_per_font
        self.test_letters_per_class_per_font = test_letters_per_class_per_font
        self.digits_per_class = digits_per_class
        self.workers = workers

    @property
    def source_name(self) -> str:
        return EMNIST_SOURCE_NAME if self.source == "emnist" else SUBSTITUTE_SOURCE_NAME

    @property
    def is_substitute(self) -> bool:
        return self.source == "substitute"

    def cache_label(self) -> str:
        return "byclass" if self.source == "emnist" else "substitute"

    def cache_args(self) -> dict:
        args = {
            "source": self.source,
            "balance": self.balance,
            "seed": self.seed,
            "validation_fraction": self.validation_fraction,
        }
        if self.source == "substitute":
            args["letters_per_class_per_font"] = self.letters_per_class_per_font
            args["test_letters_per_class_per_font"] = self.test_letters_per_class_per_font
            args["digits_per_class"] = self.digits_per_class
        return args

    def build(self) -> dict[str, np.ndarray]:
        if self.source == "substitute":
            return build_substitute(
                self.letters_per_class_per_font,
                self.test_letters_per_class_per_font,
                self.digits_per_class,
                balance=self.balance,
                seed=self.seed,
                validation_fraction=self.validation_fraction,
                workers=self.workers,
            )
        # "auto" promised not to use the network: it only reads a file that is already there.
        zip_path = verified_emnist_zip() if self.requested_source == "auto" else download_emnist()
        x_train, y_train, x_test, y_test = read_emnist_byclass(zip_path)
        x_train, y_train, x_val, y_val = balanced_train_val(
            x_train,
            y_train,
            balance=self.balance,
            seed=self.seed,
            validation_fraction=self.validation_fraction,
        )
        splits = {"train": (x_train, y_train), "val": (x_val, y_val), "test": (x_test, y_test)}
        arrays = {}
        for split, (x, y) in splits.items():
            arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y.astype(np.uint8)
        return arrays


def emnist_zip_path() -> Path:
    """Where the raw EMNIST `matlab.zip` lives (or must be put by hand)."""
    return paths.raw_dir("emnist") / load_spec("emnist").filename


def download_emnist() -> Path:
    """Download NIST's EMNIST `matlab.zip` into the raw data folder (or verify the one there)."""
    return download(load_spec("emnist"), paths.raw_dir("emnist"))


def verified_emnist_zip() -> Path:
    """The raw EMNIST `matlab.zip`, checked against its SHA-256 without any download."""
    spec, path = load_spec("emnist"), emnist_zip_path()
    if not path.exists() or file_sha256(path) != spec.sha256:
        raise DataError(
            f"{path} is missing or damaged (its SHA-256 is not {spec.sha256}). Delete it and run "
            "`python -m text_recognizer.data.emnist --download`, or use source='substitute'."
        )
    return path


def read_emnist_byclass(
    zip_path: str | Path,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read EMNIST ByClass from NIST's `matlab.zip`: x_train, y_train, x_test, y_test.

    Images come back upright, uint8 (N, 28, 28), white on black; labels as course class indices.
    """
    zip_path = Path(zip_path)
    try:
        with (
            zipfile.ZipFile(zip_path) as archive,
            tempfile.TemporaryDirectory(dir=zip_path.parent) as tmp,
        ):
            mat_file = archive.extract(BYCLASS_MAT, tmp)  # loadmat needs a seekable file
            dataset = scipy.io.loadmat(mat_file, simplify_cells=True)["dataset"]
        _check_mapping(dataset["mapping"])
        splits = [_images_and_labels(dataset[split]) for split in ("train", "test")]
    except (*UNREADABLE, KeyError, TypeError, IndexError) as error:
        raise DataError(
            f"{zip_path} is not a readable copy of NIST's EMNIST matlab.zip "
            f"({type(error).__name__}: {error}). Delete it and download it again: "
            "python -m text_recognizer.data.emnist --download"
        ) from error
    (x_train, y_train), (x_test, y_test) = splits
    return x_train, y_train, x_test, y_test


def _images_and_labels(split: dict) -> tuple[np.ndarray, np.ndarray]:
    # MATLAB stores each 28x28 image column by column: read row by row, it comes out transposed
    # (mirrored and turned on its side); swapping the last two axes turns it upright again.
    images = np.asarray(split["images"], dtype=np.uint8).reshape(-1, 28, 28).swapaxes(1, 2)
    labels = np.asarray(split["labels"]).reshape(-1).astype(np.int64)
    if (
        len(images) != len(labels)
        or labels.min(initial=0) < 0
        or labels.max(initial=0) >= len(EMNIST_CHARACTERS)
    ):
        raise ValueError(f"{len(images)} images with {len(labels)} labels in 0..{labels.max(initial=0)}")
    return np.ascontiguousarray(images), emnist_label_to_index(labels)


def _check_mapping(mapping: np.ndarray) -> None:
    """EMNIST ships its label -> ASCII table: make sure it is ByClass's (digits, A-Z, a-z)."""
    found = "".join(chr(int(code)) for _, code in sorted(np.asarray(mapping).reshape(-1, 2).tolist()))
    if found != EMNIST_CHARACTERS:
        raise ValueError(f"the label mapping is {found!r}, not EMNIST ByClass's {EMNIST_CHARACTERS!r}")


def _resolve_source(source: str) -> str:
    """Turn "auto" into "emnist" or "substitute", saying which and why (without the network)."""
    if source != "auto":
        return source
    zip_path = emnist_zip_path()
    if zip_path.exists():
        logger.info("Using real EMNIST: found %s.", zip_path)
        return "emnist"
    logger.warning(
        "Using the %s: real EMNIST is not downloaded (no %s). To use real EMNIST, run "
        "`python -m text_recognizer.data.emnist --download` on a machine with internet.",
        SUBSTITUTE_SOURCE_NAME,
        zip_path,
    )
    return "substitute"


def main(
    download: Annotated[bool, typer.Option("--download", help="Download NIST's matlab.zip (~700 MB).")] = False,
    source: Annotated[str, typer.Option(help=f"Which data to prepare: {', '.join(SOURCES)}.")] = "auto",
) -> None:
    """Download real EMNIST, or build the processed cache and print its summary."""
    if source not in SOURCES:
        raise typer.BadParameter(f"choose one of {', '.join(SOURCES)}", param_hint="--source")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if download:
            print(f"EMNIST is ready at {download_emnist()}")
            return
        dataset = EmnistCharacters(source=source)
        dataset.prepare()
        summary = dataset.summary()
        del summary["class_counts"]  # 62 x 3 numbers: too long for a terminal
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    except DataError as error:
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    typer.run(main)
