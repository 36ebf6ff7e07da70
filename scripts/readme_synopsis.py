"""Write the README's command-line synopsis from the argument parser (convnets.cli.synopsis),
between the markers <!-- synopsis:start --> and <!-- synopsis:end -->, so every option
of every command is listed and none that was removed is.

    python scripts/readme_synopsis.py            # rewrite README.md
    python scripts/readme_synopsis.py --check    # exit 1 if README.md's block is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from convnets.cli import synopsis

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- synopsis:start -->", "<!-- synopsis:end -->"


def block() -> str:
    """What goes between the markers: the synopsis as a code block."""
    return f"```\n{synopsis()}\n```"


def current(readme: Path = ROOT / "README.md") -> str:
    """The README's block between the markers, as it is now."""
    doc = readme.read_text()
    if START not in doc or END not in doc:
        raise SystemExit(f"{readme}: no {START} ... {END} markers to write the synopsis between")
    return doc.split(START, 1)[1].split(END, 1)[0].strip("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if stale")
    args = parser.parse_args(argv)
    text = block()
    if args.check:
        if current(args.readme) != text:
            print(f"{args.readme}: the synopsis is stale; run python scripts/readme_synopsis.py", file=sys.stderr)
            return 1
        return 0
    current(args.readme)  # the markers must be there
    doc = args.readme.read_text()
    head, rest = doc.split(START, 1)
    args.readme.write_text(head + START + "\n" + text + "\n" + END + rest.split(END, 1)[1])
    print(f"wrote the synopsis into {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
