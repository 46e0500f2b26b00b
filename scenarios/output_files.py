"""Output files written under temporary names and renamed into place when a command succeeds.

A command that fails part-way (a bad row 90,000 lines into an audit log, a full disk,
Ctrl-C) must not leave a half-written file that looks like a result. ``staged_outputs``
yields a ``StagedOutputs`` whose ``path(name)`` is a temporary path beside the final one
(``.partial-PID-NAME``: same folder, same file system, same suffix for writers that pick a
format from it). When the block ends without an error, every staged file or folder is
renamed into place with ``os.replace`` (atomic per file), the ``last`` ones (report.json,
the file that says a run is complete) after all the others; on an error, the temporary
files are removed, and so is the output folder if the command created it. Files already in
the folder (a previous run's result) stay as they were until the new ones replace them.

Why not write into a temporary sibling folder and rename it: ``run`` and ``compare`` share
the default ``alprsim-out`` folder, and renaming a folder over it would delete what the
other command wrote there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


class StagedOutputs:
    """Temporary paths for the files a command writes into ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.staged: dict[Path, Path] = {}  # final path -> temporary path
        self.written: list[Path] = []  # final paths, once committed

    def path(self, name: str | Path) -> Path:
        """Where to write ``folder/name`` (a file, or a folder the writer creates)."""
        final = self.folder / name
        temporary = final.with_name(f".partial-{os.getpid()}-{final.name}")
        temporary.parent.mkdir(parents=True, exist_ok=True)
        self.staged[final] = temporary
        return temporary

    def commit(self, last: Sequence[str] = ()) -> list[Path]:
        """Rename every staged path into place, those named in ``last`` at the end."""
        for final in sorted(self.staged, key=lambda p: p.name in last):  # stable: the rest keep their order
            _replace(self.staged.pop(final), final)
            self.written.append(final)
        return self.written

    def discard(self) -> None:
        for temporary in self.staged.values():
            _remove(temporary)
        self.staged.clear()


@contextmanager
def staged_outputs(folder: str | Path, last: Sequence[str] = ()) -> Iterator[StagedOutputs]:
    """Stage a command's outputs in ``folder`` (created if absent); commit them if the block succeeds.

    Raises ``OSError`` when the folder cannot be made (a file stands there, no permission).
    """
    folder = Path(folder)
    created = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    staged = StagedOutputs(folder)
    try:
        yield staged
    except BaseException:
        staged.discard()
        for path in created:  # innermost first; only folders this call made, and only if still empty
            try:
                path.rmdir()
            except OSError:
                break
        raise
    try:
        staged.commit(last)
    except BaseException:  # a rename failed: what was not renamed yet is removed, report.json among it
        staged.discard()
        raise


def _replace(temporary: Path, final: Path) -> None:
    if temporary.is_dir() and final.is_dir():  # os.replace cannot put a folder over a non-empty one
        old = final.with_name(f".old-{os.getpid()}-{final.name}")
        os.replace(final, old)
        os.replace(temporary, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(temporary, final)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def output_folder_problem(folder: str | Path) -> str | None:
    """Why ``folder`` cannot take outputs (checked before a long computation), or None."""
    folder = Path(folder)
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                return "is a file, not a folder" if path == folder else f"{path} is a file, not a folder"
            if not os.access(path, os.W_OK | os.X_OK):
                return f"{path} is not writable"
            return None
    return None
