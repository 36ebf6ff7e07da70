"""The translated README (README.pt-BR.md) stays in step with README.md and the code: the
same quickstart commands, the generated synopsis, one learning-path row per family in year
order, and no relative link to a file that is not there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import load_script

from convnets.models import list_families

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PT_BR = ROOT / "README.pt-BR.md"
# Each translation's headings for the sections checked here (README.md's: "Quickstart").
QUICKSTART = {README: "Quickstart", PT_BR: "Início rápido"}
LEARNING_PATH = "Trilha de aprendizado"

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def section(text: str, heading: str) -> str:
    """The text under ``## heading`` up to the next heading of level 2 (or the end)."""
    match = re.search(rf"^## {re.escape(heading)}[ \t]*$", text, re.M)
    assert match, f"no '## {heading}' section"
    rest = text[match.end():]
    end = re.search(r"^## ", rest, re.M)
    return rest[: end.start()] if end else rest


def code_blocks(text: str) -> list[tuple[str, str]]:
    """Every fenced code block as (info string, body), in order."""
    return [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer(text)]


def without_code(text: str) -> str:
    """The text with fenced blocks and inline code removed (their brackets are not links)."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def relative_links(text: str) -> list[str]:
    targets = [m.group(1) for m in LINK.finditer(without_code(text))]
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", t, re.I)]


def learning_path_rows(text: str) -> list[list[str]]:
    """The cells of each year row of the learning-path table."""
    rows = []
    for line in section(text, LEARNING_PATH).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].isdigit():
            rows.append(cells)
    return rows


@pytest.fixture(scope="module")
def pt_br() -> str:
    assert PT_BR.is_file(), "README.pt-BR.md is missing"
    return PT_BR.read_text()


def test_the_quickstart_commands_are_readmes_exactly(pt_br):
    """The two commands (install and train LeNet-5; install and run the tests) are byte for byte README.md's."""
    english = [b for b in code_blocks(section(README.read_text(), QUICKSTART[README])) if b[0] == "bash"]
    assert len(english) == 2, "README.md's quickstart should have two bash blocks: train LeNet-5, run the tests"
    assert "convnets train lenet5" in english[0][1] and "python -m pytest" in english[1][1]
    translated = [b for b in code_blocks(section(pt_br, QUICKSTART[PT_BR])) if b[0] == "bash"]
    assert translated == english, "copy the quickstart's code blocks from README.md unchanged"
    assert "`pip install -r requirements.txt`" in section(pt_br, QUICKSTART[PT_BR]), "name the pinned install too"


def test_the_synopsis_is_the_generated_one(pt_br):
    script = load_script("readme_synopsis")
    assert PT_BR in script.READMES, "scripts/readme_synopsis.py must write README.pt-BR.md's synopsis too"
    assert script.current(PT_BR) == script.block(), "stale synopsis: run python scripts/readme_synopsis.py"
    assert script.current(PT_BR) == script.current(README)
    assert script.main(["--check"]) == 0


def test_the_synopsis_script_writes_and_checks_every_readme_given(tmp_path, capsys):
    """--check names a stale translation and fails; writing puts the block between its markers, text around kept."""
    script = load_script("readme_synopsis")
    stale = tmp_path / "README.pt-BR.md"
    stale.write_text(f"antes\n{script.START}\n```\nvelho\n```\n{script.END}\ndepois\n")
    fresh = tmp_path / "README.md"
    fresh.write_text(f"before\n{script.START}\n{script.block()}\n{script.END}\nafter\n")
    assert script.main(["--check", "--readme", str(fresh), "--readme", str(stale)]) == 1
    assert str(stale) in capsys.readouterr().err
    assert script.main(["--readme", str(fresh), "--readme", str(stale)]) == 0
    assert stale.read_text() == f"antes\n{script.START}\n{script.block()}\n{script.END}\ndepois\n"
    assert script.main(["--check", "--readme", str(stale)]) == 0
    unmarked = tmp_path / "other.md"
    unmarked.write_text("no markers\n")
    with pytest.raises(SystemExit, match="markers"):
        script.main(["--readme", str(stale), "--readme", str(unmarked)])


def test_the_learning_path_has_one_row_per_family_in_year_order(pt_br):
    families = list_families()
    rows = learning_path_rows(pt_br)
    assert len(rows) == len(families), "one row per family of list_families()"
    for family, row in zip(families, rows):
        year, _title, problem, idea, page = row
        assert page == f"[{family.name}.md](docs/architectures/{family.name}.md)", (family.name, page)
        assert int(year) == family.year, family.name
        assert problem and idea, f"{family.name}: the problem and the idea, translated"
        assert problem != family.problem and idea != family.idea, f"{family.name}: the row is still in English"
    years = [int(row[0]) for row in rows]
    assert years == sorted(years)


def test_the_notebooks_and_docs_are_named(pt_br):
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert notebook.name in pt_br, f"README.pt-BR.md should list notebooks/{notebook.name}"
    assert "notebooks/pt-BR/" in pt_br
    for page in ("docs/index.md", "docs/results.md"):
        assert f"]({page})" in pt_br, page


def test_the_first_line_links_back_to_the_english_readme(pt_br):
    assert pt_br.splitlines()[0] == "English: [README.md](README.md)"


def test_every_relative_link_points_to_a_file_in_the_checkout(pt_br):
    links = relative_links(pt_br)
    assert len(links) > len(list_families())  # the learning path alone has one per family
    missing = [t for t in links if not (ROOT / t.split("#", 1)[0]).exists()]
    assert not missing, f"README.pt-BR.md links to missing files: {missing}"


def test_the_link_check_finds_links_and_skips_code():
    text = "a [page](docs/x.md) and ![img](docs/i.png \"t\"), [web](https://x.org), [top](#t)\n" \
           "`[--layer NAME](not/a/link)`\n```\n[in](code/block.md)\n```\n"
    assert relative_links(text) == ["docs/x.md", "docs/i.png"]
