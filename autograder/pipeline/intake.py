"""Take in a submission safely: a copy with only what is graded, nothing that points outside.

A submission is a student's lab folder, or an archive of it (.zip, .tar, .tar.gz, .tgz,
.tar.bz2, .tar.xz). The grader never runs anything in place: it copies the lab's
`text_recognizer/` package, the lab notebook, `experiments/` and `tests/support/` (what the
notebook reads), and the files of Labs 6 and 7's file exercises (`.circleci/config.yml`,
`serverless.yml`) into a fresh folder, which the sandbox sees read-only. On the way:

- symbolic links are resolved when they point to a regular file inside the submission and
  dropped otherwise (a link to /etc/shadow or to the grader's files never reaches the sandbox);
  hard links, devices, fifos and sockets are dropped;
- pickles and other code-carrying payloads (`.pkl`, `.pickle`, `.pth`, `.joblib`, `.pt`,
  compiled `.pyc`/`.so`, `sitecustomize.py`) are dropped: the grader never loads them, and
  dropping them keeps them from being loaded by student code in ways graders do not expect;
- archives are unpacked member by member: absolute paths, `..`, links and special members are
  refused, and sizes are capped while writing (zip bombs stop at the cap);
- folders nested deeper than `MAX_DEPTH` levels are dropped (a tree a thousand levels deep is
  neither walked nor copied: no recursion error, and nothing deep is left to remove).

Every drop is a note, shown to the student and the instructor. A note quotes a path the student
chose: it is escaped (`shown`), so a file name cannot add lines of its own to the feedback, and
at most `MAX_NOTES` notes are kept.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.errors import SubmissionRejected

PACKAGE = "text_recognizer"
MAX_FILES = 5000
MAX_TOTAL_BYTES = 400 * 1024 * 1024
MAX_FILE_BYTES = 200 * 1024 * 1024
#: Folders in the graded copy (empty ones included): a million empty folders is no lab.
MAX_DIRS = 2000
#: Levels of folders below the lab folder (text_recognizer/a/b/... counts from text_recognizer).
MAX_DEPTH = 24
#: Notes kept (one more says how many were left out); each quotes a path of at most SHOWN_PATH.
MAX_NOTES = 60
SHOWN_PATH = 160
DROPPED_SUFFIXES = frozenset(
    {
        ".pkl",
        ".pickle",
        ".pth",
        ".joblib",
        ".dill",
        ".pt",
        ".pyc",
        ".pyo",
        ".so",
        ".pyd",
        ".dylib",
        ".egg-link",
    }
)
DROPPED_NAMES = frozenset({"sitecustomize.py", "usercustomize.py"})
#: Files outside the package that hidden suites grade (the API's Dockerfile is inside it).
GRADED_FILES = (".circleci/config.yml", "serverless.yml")
SKIPPED_DIRS = frozenset({"__pycache__", ".git", ".ipynb_checkpoints"})
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


def shown(name: object, limit: int = SHOWN_PATH) -> str:
    """A student-chosen name as quoted in a note: control characters (newlines included) escaped
    as in a Python literal, at most `limit` characters (with "...")."""
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(name))
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Notes(list):
    """Intake notes, at most MAX_NOTES of them; the rest are counted in a last note."""

    def __init__(self) -> None:
        super().__init__()
        self.left_out = 0

    def append(self, note: str) -> None:
        if len(self) < MAX_NOTES:
            super().append(note)
            return
        self.left_out += 1
        summary = f"... and {self.left_out} more note(s) like these"
        if self.left_out == 1:
            super().append(summary)
        else:
            self[-1] = summary


@dataclass
class Intake:
    """The graded copy of a submission and what happened on the way in."""

    root: Path
    notes: list[str] = field(default_factory=Notes)
    files: int = 0
    bytes: int = 0
    dirs: int = 0


def remove_tree(path: Path) -> None:
    """Remove a folder tree however deep it is (shutil.rmtree recurses once per level and raises
    RecursionError on a tree a thousand levels deep; GNU rm does not), never raising."""
    path = Path(path)
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:
        pass
    if path.exists() or path.is_symlink():
        try:
            subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], check=False, timeout=300,
                           capture_output=True)
        except (OSError, subprocess.SubprocessError):
            pass


def is_archive(path: Path) -> bool:
    """Whether `path` names an archive the grader unpacks."""
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def take_in(submission: Path, dest: Path, lab: int) -> Intake:
    """Copy what is graded of `submission` (folder or archive) into the new folder `dest`.

    Raises SubmissionRejected when there is nothing gradable (the results file still gets
    written by the caller, with the reason).
    """
    submission = Path(submission)
    if submission.is_symlink():
        raise SubmissionRejected(f"{submission} is a symbolic link; pass the folder or archive itself.")
    if not submission.exists():
        raise SubmissionRejected(f"{submission} does not exist.")
    notes: list[str] = Notes()
    with tempfile.TemporaryDirectory(prefix="autograder-unpack-") as unpack:
        if submission.is_dir():
            source = submission
        elif is_archive(submission):
            source = Path(unpack)
            _unpack(submission, source, notes)
        else:
            raise SubmissionRejected(
                f"{shown(submission.name)} is neither a folder nor an archive ({', '.join(ARCHIVE_SUFFIXES)})."
            )
        lab_root = _find_lab_root(source)
        intake = Intake(root=dest, notes=notes)
        dest.mkdir(parents=True)
        dest.chmod(0o755)
        # The package is what the probes grade; the notebook, its experiment configs and the
        # support images are what the lab notebook reads when it is executed; the CI file and the
        # deployment descriptor are Labs 6 and 7's file exercises.
        wanted = [PACKAGE, f"notebooks/lab{lab}.ipynb", "experiments", "tests/support", *GRADED_FILES]
        for relative in wanted:
            path = lab_root / relative
            if path.is_dir() and not path.is_symlink():
                _copy_tree(path, dest / relative, lab_root, intake)
            elif path.is_file() or path.is_symlink():
                _copy_file(path, dest / relative, lab_root, intake, PurePosixPath(relative))
        # nbgrader's layout (the course hub's assignments): the notebook at the top of the lab folder.
        top = lab_root / f"lab{lab}.ipynb"
        if not (lab_root / "notebooks" / top.name).exists() and (top.is_file() or top.is_symlink()):
            _copy_file(top, dest / "notebooks" / top.name, lab_root, intake, PurePosixPath(top.name))
    return intake


def _find_lab_root(source: Path) -> Path:
    """The folder holding `text_recognizer/__init__.py`: the top, or one or two levels down."""
    for depth in range(3):
        pattern = "/".join(["*"] * depth + [PACKAGE, "__init__.py"])
        found = sorted(
            p.parent.parent
            for p in source.glob(pattern)
            if not _through_link(source, p)
            and not any(part in SKIPPED_DIRS or part.startswith(".") for part in p.relative_to(source).parts)
        )
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(shown(p.relative_to(source), 80) for p in found[:4])
            raise SubmissionRejected(
                f"the submission holds several lab folders ({names}); submit exactly one lab folder."
            )
    raise SubmissionRejected(
        f"no {PACKAGE}/ package (with __init__.py) in the submission; submit your lab folder "
        "(the one with text_recognizer/, notebooks/ and tests/) or an archive of it."
    )


def _through_link(source: Path, path: Path) -> bool:
    """Whether any component of `path` below `source` is a symbolic link."""
    current = source
    for part in path.relative_to(source).parts:
        current = current / part
        if current.is_symlink():
            return True
    return False


def _dropped_reason(relative: PurePosixPath) -> str | None:
    if relative.name in DROPPED_NAMES:
        return "interpreter start-up hooks are not accepted"
    if relative.suffix.lower() in DROPPED_SUFFIXES:
        return "pickles, compiled code and other code-carrying payloads are never loaded by the grader"
    return None


def _copy_tree(source: Path, dest: Path, lab_root: Path, intake: Intake) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o755)
    for current, dirnames, filenames in os.walk(source, followlinks=False):
        here = Path(current)
        kept = []
        for name in sorted(dirnames):
            path = here / name
            relative = PurePosixPath(path.relative_to(lab_root).as_posix())
            if path.is_symlink():
                intake.notes.append(f"dropped {shown(relative)}: links to folders are not followed")
            elif name in SKIPPED_DIRS:
                continue
            elif len(relative.parts) > MAX_DEPTH:
                # Not walked: os.walk recurses once per level (a RecursionError a thousand down).
                intake.notes.append(f"dropped {shown(relative)}: folders nested more than {MAX_DEPTH} "
                                    "levels deep are not accepted")
            else:
                intake.dirs += 1
                if intake.dirs > MAX_DIRS:
                    raise SubmissionRejected(
                        f"the submission has more than {MAX_DIRS} folders; leave data, runs and "
                        "checkpoints out of it."
                    )
                kept.append(name)
                target = dest / path.relative_to(source)
                target.mkdir(exist_ok=True)
                target.chmod(0o755)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            relative = PurePosixPath(path.relative_to(lab_root).as_posix())
            _copy_file(path, dest / path.relative_to(source), lab_root, intake, relative)


def _copy_file(path: Path, target: Path, lab_root: Path, intake: Intake, relative: PurePosixPath) -> None:
    reason = _dropped_reason(relative)
    if reason:
        intake.notes.append(f"dropped {shown(relative)}: {reason}")
        return
    if path.is_symlink():
        resolved = Path(os.path.realpath(path))
        inside = resolved.is_relative_to(lab_root.resolve())
        if not inside or not resolved.is_file():
            intake.notes.append(f"dropped {shown(relative)}: a symbolic link pointing outside the submission")
            return
        if _dropped_reason(PurePosixPath(resolved.name)):
            intake.notes.append(f"dropped {shown(relative)}: it links to a file the grader does not accept")
            return
        path = resolved
    try:
        # O_NOFOLLOW: a file swapped for a link after the check above is refused, not followed.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        intake.notes.append(f"dropped {shown(relative)}: cannot be read ({error.strerror})")
        return
    with os.fdopen(descriptor, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode):
            intake.notes.append(f"dropped {shown(relative)}: not a regular file")
            return
        if info.st_nlink > 1:
            intake.notes.append(f"dropped {shown(relative)}: hard links are not accepted; submit a plain copy")
            return
        if info.st_size > MAX_FILE_BYTES:
            intake.notes.append(f"dropped {shown(relative)}: larger than {MAX_FILE_BYTES // 2**20} MiB")
            return
        intake.files += 1
        intake.bytes += info.st_size
        if intake.files > MAX_FILES or intake.bytes > MAX_TOTAL_BYTES:
            raise SubmissionRejected(
                f"the submission is too large (over {MAX_FILES} files or {MAX_TOTAL_BYTES // 2**20} MiB "
                "in text_recognizer/); leave data, runs and checkpoints out of it."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    target.chmod(0o644)


# --- archives -------------------------------------------------------------------------------------
def _safe_member_path(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    return path


def _too_deep(path: PurePosixPath, notes: list[str]) -> bool:
    """Archive members deeper than the lab's folder depth allows (plus the lab folder itself and
    two levels above it) are not unpacked: creating them would recurse once per level."""
    if len(path.parts) <= MAX_DEPTH + 3:
        return False
    notes.append(f"dropped {shown(path)}: folders nested more than {MAX_DEPTH} levels deep are not accepted")
    return True


class _Budget:
    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0

    def take(self, size: int) -> None:
        self.bytes += size
        self.check_declared(self.bytes, self.files)

    @staticmethod
    def check_declared(size: int, files: int) -> None:
        if size > MAX_TOTAL_BYTES * 2 or files > MAX_FILES * 4:
            raise SubmissionRejected(
                f"the archive unpacks to more than {2 * MAX_TOTAL_BYTES // 2**20} MiB or "
                f"{MAX_FILES * 4} files; submit only your lab folder."
            )


def _write_stream(stream, target: Path, budget: _Budget) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        while chunk := stream.read(1 << 20):
            budget.take(len(chunk))
            out.write(chunk)


def _unpack(archive: Path, dest: Path, notes: list[str]) -> None:
    budget = _Budget()
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as bundle:
                # Sizes the archive declares are checked first; the streaming budget below
                # also stops archives whose headers lie.
                budget.check_declared(sum(info.file_size for info in bundle.infolist()), len(bundle.infolist()))
                for info in bundle.infolist():
                    _unpack_zip_member(bundle, info, dest, notes, budget)
        else:
            with tarfile.open(archive) as bundle:
                for member in bundle:
                    _unpack_tar_member(bundle, member, dest, notes, budget)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError, RecursionError) as error:
        raise SubmissionRejected(f"{shown(archive.name)} is not a readable archive "
                                 f"({shown(error, 200)}).") from None


def _unpack_zip_member(bundle, info, dest, notes, budget) -> None:
    path = _safe_member_path(info.filename)
    if path is None:
        notes.append(f"refused archive member {shown(repr(info.filename), 120)}: absolute or '..' path")
        return
    if _too_deep(path, notes):
        return
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        notes.append(f"dropped {shown(path)}: links inside archives are not accepted")
        return
    if info.is_dir():
        (dest / path).mkdir(parents=True, exist_ok=True)
        return
    budget.files += 1
    with bundle.open(info) as stream:
        _write_stream(stream, dest / path, budget)


def _unpack_tar_member(bundle, member, dest, notes, budget) -> None:
    path = _safe_member_path(member.name)
    if path is None:
        notes.append(f"refused archive member {shown(repr(member.name), 120)}: absolute or '..' path")
        return
    if _too_deep(path, notes):
        return
    if member.isdir():
        (dest / path).mkdir(parents=True, exist_ok=True)
        return
    if not member.isfile():
        kind = "link" if member.issym() or member.islnk() else "special file"
        notes.append(f"dropped {shown(path)}: a {kind} inside the archive is not accepted")
        return
    budget.files += 1
    stream = bundle.extractfile(member)
    if stream is not None:
        with stream:
            _write_stream(stream, dest / path, budget)
