"""The learning notebooks run top to bottom (quick settings: small subsets, one
epoch), in a scratch copy, with the real data folder. Needs ../shared/data.
The Brazilian-Portuguese copies in notebooks/pt-BR/ are not executed: they hold the
English ones' code cells exactly, with every explanation translated."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))  # English: the ones executed here
PT_NOTEBOOKS = sorted((ROOT / "notebooks" / "pt-BR").glob("*.ipynb"))  # the same code, explained in Portuguese


@pytest.fixture(scope="module")
def script():
    return load_script("notebooks")


def test_committed_notebooks_are_the_generated_ones(script, tmp_path, monkeypatch):
    assert [p.name for p in NOTEBOOKS] == list(script.NOTEBOOKS)
    assert sorted(p.name for p in PT_NOTEBOOKS) == sorted(script.NOTEBOOKS), "notebooks/pt-BR/ is stale"
    for lang, folder in (("en", ROOT / "notebooks"), ("pt", ROOT / "notebooks" / "pt-BR")):
        for name in script.NOTEBOOKS:
            path = folder / name
            nb = nbformat.read(path, as_version=4)
            expected = script.notebook(name, lang)
            assert [(c.cell_type, c.source) for c in nb.cells] == [(c.cell_type, c.source) for c in expected.cells], (
                f"{path.relative_to(ROOT)} is stale: run scripts/notebooks.py")
            assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{path.name} has outputs"
            assert nb.metadata.get("kernelspec") == expected.metadata["kernelspec"], path.name


def test_portuguese_notebooks_run_the_english_code():
    """The pt-BR notebooks are not executed: they hold exactly the English ones' code cells, in the same order."""
    for pt_path in PT_NOTEBOOKS:
        en = nbformat.read(ROOT / "notebooks" / pt_path.name, as_version=4)
        pt = nbformat.read(pt_path, as_version=4)
        assert [c.cell_type for c in pt.cells] == [c.cell_type for c in en.cells], pt_path.name
        assert [c.source for c in pt.cells if c.cell_type == "code"] == [
            c.source for c in en.cells if c.cell_type == "code"], pt_path.name


def test_every_explanation_is_translated(script):
    for name, build in script.NOTEBOOKS.items():
        for i, cell in enumerate(build()):
            if cell["cell_type"] == "markdown":
                assert cell["pt"].strip() != cell["en"].strip(), f"{name}, cell {i}: the Portuguese text is the English one"
            else:
                assert set(cell) == {"cell_type", "source"}, f"{name}, cell {i}: a code cell has one source for both languages"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(script, path, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVNETS_DATA_DIR", str(data_dir))
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    text = script.output_text(script.run(copy, quick=True, timeout=600))
    # no TensorFlow start-up chatter (convnets is imported first) and plain numbers, not np.float64(...)
    for noise in ("cuda", "absl::InitializeLog", "cpu_feature_guard", "np.float", "np.int"):
        assert noise not in text, f"{path.name} printed {noise!r}"


def test_each_notebook_says_where_its_data_comes_from_and_imports_convnets_first(script):
    for name in script.NOTEBOOKS:
        for lang, before in (("en", "before"), ("pt", "antes")):
            cells = script.notebook(name, lang).cells
            assert "CONVNETS_DATA_DIR" in cells[0].source and before in cells[0].source.lower(), (name, lang)
            setup = cells[1].source
            assert setup.index("import convnets") < setup.index("import tensorflow"), (name, lang)
