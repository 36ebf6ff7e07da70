"""The generated docs are in step with the code: one architecture page per family,
and regenerating a page gives the committed file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_script

from convnets import list_models
from convnets.models import model_info

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pages_script():
    return load_script("architecture_pages")


def test_every_family_has_a_page_in_the_learning_path(pages_script):
    families = {model_info(n).family for n in list_models()}
    assert families <= set(pages_script.FAMILIES)
    index = (ROOT / "docs" / "index.md").read_text()
    for family in families:
        assert (ROOT / "docs" / "architectures" / f"{family}.md").is_file(), family
        assert f"architectures/{family}.md" in index
    years = [pages_script.FAMILIES[f][1] for f in pages_script.FAMILIES]
    order = [line.split("|")[1].strip() for line in index.splitlines() if line.startswith("| 1") or line.startswith("| 2")]
    assert [int(y) for y in order] == sorted(years)


@pytest.mark.parametrize("family", ["lenet", "alexnet"])
def test_pages_are_generated_from_the_code(pages_script, family):
    results = json.loads((ROOT / "docs" / "results.json").read_text())
    names = [n for n in list_models() if model_info(n).family == family]
    expected = pages_script.page(family, names, results)
    assert (ROOT / "docs" / "architectures" / f"{family}.md").read_text() == expected, (
        "stale page: run python scripts/architecture_pages.py")
