"""The 222 "writers" of the offline IAM substitute: one handwriting or script font family each.

IAM splits its lines by writer, so that a test figure says how well a model reads people it has
never seen. The substitute does the same with fonts: a family (all its weights) is one writer, and
each writer belongs to exactly one split:

    writers("train")    # 197 families the models learn from
    writers("val")      # 14 families for choosing a model (early stopping, sweeps)
    writers("test")     # 7 families for the figures the course reports
    writers("grader")   # 4 families the autograder renders its hidden pages from

Fonts write every letter the same way; people do not. So the substitute goes wide (every
handwriting and script family of the npm registries that holds all the course's characters:
school scripts, pens, brushes, copperplate) and, in `line_rendering`, deep (each glyph bent its
own way).

The fonts are npm packages (`@expo-google-fonts/*` .ttf files, `@fontsource/*` .woff files; OFL)
installed by `make setup`. Four families are reserved for an independent evaluation of the course
and are never rendered by it: `RESERVED_FAMILIES` (`font_files` refuses them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ... import paths
from ..errors import DataError

RESERVED_FAMILIES = ("homemade-apple", "la-belle-aurore", "kristi", "stevehand")
"""Kept for an independent evaluation: never rendered, not for training, validation or tests."""

EXPO = "@expo-google-fonts"
FONTSOURCE = "@fontsource"


@dataclass(frozen=True)
class Writer:
    """One font family standing for one writer."""

    family: str  # the npm package name without its scope, e.g. "indie-flower"
    package: str  # EXPO or FONTSOURCE


def _writers(package: str, families: str) -> tuple[Writer, ...]:
    return tuple(Writer(family, package) for family in families.split())


TRAIN_WRITERS = _writers(
    EXPO,
    "alex-brush allura caveat gloria-hallelujah gochi-hand great-vibes indie-flower "
    "nanum-pen-script pacifico permanent-marker reenie-beanie sacramento schoolbell",
) + _writers(
    FONTSOURCE,
    "annie-use-your-telescope birthstone caveat-brush cedarville-cursive damion delius gaegu "
    "herr-von-muellerhoff kaushan-script nanum-brush-script oooh-baby parisienne rock-salt "
    "short-stack sriracha sue-ellen-francisco whisper yomogi "
    "allison chilanka condiment corinthia delicious-handrawn ephesis finger-paint freehand "
    "grand-hotel hurricane italianno licorice mansalva meow-script monsieur-la-doulaise "
    "montecarlo mr-de-haviland ms-madi pinyon-script playpen-sans rochester shantell-sans smooch "
    "swanky-and-moo-moo tangerine twinkle-star vibur zeyada nothing-you-could-do over-the-rainbow "
    "waiting-for-the-sunrise crafty-girls dawning-of-a-new-day give-you-glory loved-by-the-king "
    "calligraffitti charm charmonman mynerve gamja-flower hi-melody east-sea-dokdo klee-one "
    "edu-nsw-act-foundation edu-qld-beginner edu-sa-beginner edu-tas-beginner "
    "edu-vic-wa-nt-beginner playwrite-us-trad playwrite-us-modern playwrite-de-grund "
    "playwrite-de-sas playwrite-fr-moderne playwrite-fr-trad playwrite-it-moderna "
    "playwrite-it-trad playwrite-au-qld playwrite-au-vic playwrite-ca playwrite-ie playwrite-mx "
    "playwrite-nl playwrite-no playwrite-dk-loopet playwrite-dk-uloopet playwrite-es "
    "playwrite-es-deco playwrite-cl playwrite-co playwrite-ar playwrite-br playwrite-cu "
    "playwrite-cz playwrite-hr playwrite-hr-lijeva playwrite-hu playwrite-id playwrite-in "
    "playwrite-is playwrite-ng-modern playwrite-pe playwrite-pl playwrite-pt playwrite-ro "
    "playwrite-sk playwrite-tz playwrite-vn playwrite-za playwrite-be-wal playwrite-at beth-ellen "
    "bilbo birthstone-bounce bonheur-royale carattere clicker-script comforter comforter-brush "
    "dr-sugiyama engagement euphoria-script fuggles grape-nuts gwendolyn inspiration "
    "island-moments jim-nightshade just-me-again-down-here league-script leckerli-one "
    "lovers-quarrel love-light merienda miss-fajardose mr-bedfort mr-dafoe mrs-saint-delafield "
    "neonderthaw nerko-one norican petit-formal-script playball qwigley qwitcher-grypen rancho "
    "redressed rouge-script ruthie send-flowers square-peg stalemate sunshiney the-nautigal "
    "updock vujahday-script walter-turncoat windsong yesteryear ballet estonia explora festive "
    "fleur-de-leah grechen-fuemen imperial-script kolker-brush sassy-frass water-brush arizonia "
    "babylonica dynalight eagle-lake felipa kavivanar lily-script-one montez mea-culpa moon-dance "
    "my-soul niconne princess-sofia quintessential sofia style-script sevillana seaweed-script",
)
VAL_WRITERS = _writers(EXPO, "satisfy") + _writers(
    FONTSOURCE, "architects-daughter cookie itim the-girl-next-door "
    "mali coming-soon playwrite-nz julee meddon caramel just-another-hand sedgwick-ave "
    "sedgwick-ave-display"
)
TEST_WRITERS = _writers(EXPO, "dancing-script kalam patrick-hand shadows-into-light") + _writers(
    FONTSOURCE, "bad-script courgette handlee"
)
GRADER_WRITERS = _writers(EXPO, "marck-script") + _writers(
    FONTSOURCE, "covered-by-your-grace neucha yellowtail"
)
SPLIT_WRITERS = {"train": TRAIN_WRITERS, "val": VAL_WRITERS, "test": TEST_WRITERS, "grader": GRADER_WRITERS}
ALL_WRITERS = TRAIN_WRITERS + VAL_WRITERS + TEST_WRITERS + GRADER_WRITERS


def writers(split: str) -> tuple[Writer, ...]:
    """The writers of one split: "train", "val", "test" or "grader" (disjoint sets)."""
    if split not in SPLIT_WRITERS:
        raise ValueError(f"Unknown split {split!r}; use one of {tuple(SPLIT_WRITERS)}")
    return SPLIT_WRITERS[split]


def is_reserved(family: str) -> bool:
    """Whether a family name (any spelling: "La Belle Aurore", "la-belle-aurore") is reserved."""
    key = family.lower().replace(" ", "").replace("-", "").replace("_", "")
    return any(key.startswith(reserved.replace("-", "")) for reserved in RESERVED_FAMILIES)


def font_files(writer: Writer) -> list[Path]:
    """The font files of a writer (one per weight, upright only), in a fixed order.

    Raises:
        DataError: for a reserved family, or when `make setup` has not installed the fonts.
    """
    if is_reserved(writer.family):
        raise DataError(
            f"The font family {writer.family!r} is reserved for an independent evaluation of the "
            "course and is never rendered: choose another writer."
        )
    folder = paths.node_modules_dir() / writer.package / writer.family
    if writer.package == EXPO:
        files = sorted(path for path in folder.glob("*/*.ttf") if "Italic" not in path.name)
    else:  # fontsource: the Latin subset, every weight, upright (woff: Pillow reads it directly)
        files = sorted(folder.glob(f"files/{writer.family}-latin-[0-9]*-normal.woff"))
    if not files:
        raise DataError(
            f"No font files for the handwriting font {writer.package}/{writer.family} in {folder}. "
            "The offline data packages are missing or out of date: run `make setup` (npm ci)."
        )
    return files
