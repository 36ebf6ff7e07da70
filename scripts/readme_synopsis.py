"""Write the README's command-line synopsis from the argument parser (convnets.cli.synopsis),
between the markers <!-- synopsis:start --> and <!-- synopsis:end -->, so every option
of every command is listed and none that was removed is. The translations carry the same
block: README.md and README.pt-BR.md are written (or checked) together.

    python scripts/readme_synopsis.py            # rewrite README.md and README.pt-BR.md
    python scripts/readme_synopsis.py --check    # exit 1 if either's block is stale
    python scripts/readme_synopsis.py --readme README.md    # only that file (repeatable)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from convnets.cli import synopsis

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- synopsis:start -->", "<!-- synopsis:end -->"
# Every README that carries the synopsis: the English one and its translations.
READMES = (ROOT / "README.md", ROOT / "README.pt-BR.md")


def block() -> str:
    """What goes between the markers: the synopsis as a code block."""
    return f"```\n{synopsis()}\n```"


def current(readme: Path = ROOT / "README.md") -> str:
    """The README's block between the markers, as it is now."""
    if not readme.is_file():
        raise SystemExit(f"{readme}: no such file to write the synopsis into")
    doc = readme.read_text()
    if START not in doc or END not in doc:
        raise SystemExit(f"{readme}: no {START} ... {END} markers to write the synopsis between")
    return doc.split(START, 1)[1].split(END, 1)[0].strip("\n")


def write(readme: Path, text: str) -> None:
    """Replace the block between the markers of ``readme`` with ``text``."""
    doc = readme.read_text()
    head, rest = doc.split(START, 1)
    readme.write_text(head + START + "\n" + text + "\n" + END + rest.split(END, 1)[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, action="append",
                        help="a README to write or check (repeatable; default: README.md and README.pt-BR.md)")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if stale")
    args = parser.parse_args(argv)
    readmes = args.readme or list(READMES)
    text = block()
    if args.check:
        stale = [readme for readme in readmes if current(readme) != text]
        for readme in stale:
            print(f"{readme}: the synopsis is stale; run python scripts/readme_synopsis.py", file=sys.stderr)
        return 1 if stale else 0
    for readme in readmes:
        current(readme)  # the markers must be there, in every file, before any is written
    for readme in readmes:
        write(readme, text)
        print(f"wrote the synopsis into {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
