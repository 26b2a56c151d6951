"""Fuzz every importer for longer than CI does: ``.venv/bin/python fuzz/run.py [--scale 50] [-k statement]``.

Runs tests/test_fuzz_importers.py with RECOUP_FUZZ_SCALE times the examples (CI runs scale 1,
about 1,000 inputs in ~15 s). A crash prints the failing input; pin it as a test there.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=50, help="examples per target, times the CI number")
    parser.add_argument("-k", default="", help="only targets matching this pytest expression")
    args = parser.parse_args()
    os.environ["RECOUP_FUZZ_SCALE"] = str(args.scale)
    os.chdir(ROOT)
    import pytest

    argv = ["-q", "-p", "no:cacheprovider", "-p", "no:logging", "tests/test_fuzz_importers.py"]
    return pytest.main(argv + (["-k", args.k] if args.k else []))


if __name__ == "__main__":
    sys.exit(main())
