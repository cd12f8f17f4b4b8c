"""python -m analysis RESULTS/NAME: rebuild a study's table, findings and figures."""
import sys
from pathlib import Path

from analysis.build import from_experiment, from_parquet


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2) or (len(argv) == 2 and argv[1] != "--reexport"):
        print("usage: python -m analysis RESULTS/NAME [--reexport]  (--reexport: re-read Ray's trial "
              "folders into the Parquet files first)", file=sys.stderr)
        return 2
    folder = Path(argv[0])
    try:
        out = from_experiment(folder) if "--reexport" in argv else from_parquet(folder)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"python -m analysis: error: {err}", file=sys.stderr)
        return 1
    print(out.table.read_text())
    print(out.findings.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
