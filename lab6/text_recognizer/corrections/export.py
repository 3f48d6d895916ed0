"""Turn stored corrections into a labelled line set: the `labels.tsv` folder of the real-handwriting evaluation.

    python -m text_recognizer.corrections.export --store corrections/ --output data/corrected_lines
    aws s3 sync s3://BUCKET/corrections/ corrections-s3/ && \\
        python -m text_recognizer.corrections.export --store corrections-s3/ --output data/corrected_lines

The output folder holds each correction's crop (`<id>.png`) and `labels.tsv` with one row per
crop: `name<TAB>kind<TAB>writer<TAB>text`, kind `line`, writer `user`, text the correction. It
reads a local store (`corrections.sqlite3`, in the order stored) or a copy of the S3 store
(`records/*.json`, by time). Existing files of the output folder are kept.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from text_recognizer.corrections.store import CROPS, DATABASE, LocalCorrectionStore
from text_recognizer.data.labelled_images import LabelledImage, write_labels

WRITER = "user"
"""The writer column: corrections come from the service's users, whose hands are not known."""


def stored_records(store: str | Path) -> Iterator[dict[str, str]]:
    """The correction records of a local store, or of a copy of the S3 store (records/*.json), oldest first."""
    folder = Path(store)
    if (folder / DATABASE).is_file():
        yield from LocalCorrectionStore(folder).records()
    elif (folder / "records").is_dir():
        records = [json.loads(path.read_text()) for path in (folder / "records").glob("*.json")]
        yield from sorted(records, key=lambda record: (record["created"], record["id"]))
    else:
        raise FileNotFoundError(f"{folder} holds no corrections ({DATABASE} or records/*.json): pass the folder "
                                "the service stores them in (TEXT_RECOGNIZER_CORRECTIONS_DIR), or a copy of the "
                                "S3 prefix.")


def export_labels(store: str | Path, output: str | Path) -> Path:
    """Copy every stored crop to `output` and write `output/labels.tsv`; the path of labels.tsv."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    lines = []
    for record in stored_records(store):
        crop = Path(store) / CROPS / record["crop_name"]
        if not crop.is_file():
            raise FileNotFoundError(f"The crop of correction {record['id']} is missing ({crop}): copy the whole "
                                    "store, crops/ included.")
        shutil.copyfile(crop, output / record["crop_name"])
        # The store refuses tabs and newlines in a correction, so a row stays one row.
        lines.append(LabelledImage(record["crop_name"], "line", WRITER, record["correction"]))
    return write_labels(output, lines)


def main(
    store: Annotated[Path, typer.Option(help="The corrections folder (local, or a copy of the S3 store).")],
    output: Annotated[Path, typer.Option(help="The folder to write labels.tsv and the crops to.")],
) -> None:
    """Export the users' corrections to a labels.tsv folder, and say how many lines it holds."""
    try:
        path = export_labels(store, output)
    except FileNotFoundError as error:
        sys.exit(str(error))
    count = len(path.read_text(encoding="utf-8").splitlines()) - 1  # the header row aside
    print(f"wrote {path}: {count} corrected line(s); measure a model on them with "
          f"`make evaluate-real DATA={path.parent}`")


if __name__ == "__main__":
    typer.run(main)
