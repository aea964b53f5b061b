"""Atomic file writes: every output appears complete under its final name, or not at all."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` only if the block succeeds.

    The temporary file lives in the same directory so the final rename is atomic on POSIX, and its name
    starts with '.' and ends in '.part' so neither people nor Snakemake mistake it for the output.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def write_table(path: str | os.PathLike, frame) -> None:
    """Write a pandas DataFrame as a tab-separated table (no index), atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False, float_format="%.6g")


class CorruptFileError(ValueError):
    """An input file that a stage reads is unreadable or truncated; the message names it and how to rebuild it."""


def rebuild_hint(path: str | os.PathLike) -> str:
    return f"rebuild it with: snakemake --cores 1 --force {path}"


def read_table(path: str | os.PathLike):
    """Read a TSV written by `write_table`, or raise CorruptFileError naming the file and the rebuild command."""
    import pandas as pd

    try:
        return pd.read_csv(path, sep="\t")
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise CorruptFileError(f"{path}: unreadable table ({type(e).__name__}: {e}); {rebuild_hint(path)}") from e
