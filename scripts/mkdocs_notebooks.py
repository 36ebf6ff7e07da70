"""MkDocs hook (mkdocs.yml's ``hooks:``): every notebook under notebooks/ becomes a page of the site, found by a
glob at each build (notebooks/*.ipynb, notebooks/pt-BR/*.ipynb, any new one), never executed.

Why a hook and not the mkdocs-jupyter plugin: the notebooks are committed without outputs, so a page is their
markdown cells as they are and their code cells as highlighted ``python`` blocks: nothing that needs nbconvert,
jupytext and a kernel's dependency chain in the docs extra. mkdocs-jupyter also only sees notebooks inside
docs_dir, where ours are not; here they stay in notebooks/ and each page is generated in memory as
``notebooks/<path>.md``. Being markdown, a notebook's links are checked by ``mkdocs build --strict`` like any
page's. Outputs, should a notebook ever keep some, are left out (the page says how to run it).

The nav's ``Notebooks`` entry is filled here, in path order, a sub-section per sub-folder (``pt-BR``)."""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.structure.files import File

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SECTION = "Notebooks"
NOTE = {  # by sub-folder (a language); "" for the others
    "": "`{rel}` in the repository, shown here without running it: open it in Jupyter (`jupyter lab {rel}`) to run"
        " its cells.",
    "pt-BR": "`{rel}` no repositório, mostrado aqui sem ser executado: abra-o no Jupyter (`jupyter lab {rel}`) para"
             " executar as células.",
}


def notebooks() -> list[Path]:
    """The notebooks, relative to notebooks/, in path order (top folder first, then each sub-folder)."""
    found = [p.relative_to(NOTEBOOKS) for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted(found, key=lambda p: (len(p.parts) > 1, p.as_posix()))


def page_path(rel: Path) -> str:
    """The page's path inside the site's docs: notebooks/01_lenet5.ipynb -> notebooks/01_lenet5.md."""
    return (Path("notebooks") / rel.with_suffix(".md")).as_posix()


def _fence(code: str) -> str:
    ticks = "```"
    while ticks in code:  # a code cell holding a fence of its own gets a longer one
        ticks += "`"
    return f"{ticks}python\n{code}\n{ticks}"


def to_markdown(path: Path) -> str:
    """A notebook as markdown: markdown cells as written, code cells fenced, raw cells and outputs left out."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for i, cell in enumerate(nb.get("cells", [])):
        source = cell.get("source", "")
        source = ("".join(source) if isinstance(source, list) else source).strip("\n")
        if not source.strip():
            continue
        if cell.get("cell_type") == "markdown":
            parts.append(source)
        elif cell.get("cell_type") == "code":
            parts.append(_fence(source))
        if i == 0:  # after the title cell: where the notebook is and how to run it, in its own language
            rel = path.relative_to(REPO).as_posix()
            note = NOTE.get(path.relative_to(NOTEBOOKS).parts[0], NOTE[""])
            parts.append('!!! note "Notebook"\n    ' + note.format(rel=rel))
    return "\n\n".join(parts) + "\n"


def on_config(config, **kwargs):
    """Fill the nav's ``Notebooks`` entry with every notebook's page."""
    nav = config.get("nav") or []
    top, sub = [], {}
    for rel in notebooks():
        (sub.setdefault(rel.parent.as_posix(), []) if len(rel.parts) > 1 else top).append(page_path(rel))
    entries = top + [{folder: pages} for folder, pages in sub.items()]
    for i, item in enumerate(nav):
        if isinstance(item, dict) and SECTION in item:
            nav[i] = {SECTION: entries}
    return config


def on_files(files, config, **kwargs):
    """Add each notebook as a generated markdown page."""
    for rel in notebooks():
        files.append(File.generated(config, page_path(rel), content=to_markdown(NOTEBOOKS / rel)))
    return files
