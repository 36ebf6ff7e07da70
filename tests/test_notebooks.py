"""The learning notebooks run top to bottom (quick settings: small subsets, one
epoch), in a scratch copy, with the real data folder. Needs ../shared/data."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def script():
    return load_script("notebooks")


def test_committed_notebooks_are_the_generated_ones(script, tmp_path, monkeypatch):
    assert [p.name for p in NOTEBOOKS] == list(script.NOTEBOOKS)
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        expected = script.NOTEBOOKS[path.name]()
        assert [c.source for c in nb.cells] == [c.source for c in expected], f"{path.name} is stale: run scripts/notebooks.py"
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{path.name} has outputs"


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
    for name, build in script.NOTEBOOKS.items():
        cells = build()
        assert "CONVNETS_DATA_DIR" in cells[0].source and "before" in cells[0].source.lower(), name
        setup = cells[1].source
        assert setup.index("import convnets") < setup.index("import tensorflow"), name
