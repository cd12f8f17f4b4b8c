"""Results in a bucket (s3://, gs://, or any URI pyarrow knows): Ray writes the trial folders
there; the outputs are built in a local copy and pushed back beside them."""
from __future__ import annotations

from pathlib import Path

import pyarrow.fs as pafs


def is_uri(path: str) -> bool:
    return "://" in path


def exists(uri: str) -> bool:
    fs, root = pafs.FileSystem.from_uri(uri)
    return fs.get_file_info(root).type != pafs.FileType.NotFound


def pull(uri: str, local: Path) -> None:
    """Copy the experiment folder at `uri` into `local` (trial folders, results, event files)."""
    fs, root = pafs.FileSystem.from_uri(uri)
    Path(local).mkdir(parents=True, exist_ok=True)
    pafs.copy_files(root, str(Path(local).resolve()), source_filesystem=fs,
                    destination_filesystem=pafs.LocalFileSystem())


def push(local: Path, uri: str, files: list[Path]) -> None:
    """Upload each output file to the same relative place under `uri`."""
    fs, root = pafs.FileSystem.from_uri(uri)
    for f in files:
        rel = Path(f).resolve().relative_to(Path(local).resolve()).as_posix()
        fs.create_dir(f"{root}/{rel}".rsplit("/", 1)[0], recursive=True)
        pafs.copy_files(str(Path(f).resolve()), f"{root}/{rel}", source_filesystem=pafs.LocalFileSystem(),
                        destination_filesystem=fs)
