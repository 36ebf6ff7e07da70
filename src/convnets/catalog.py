"""The registry's facts as data: ``catalog.json``, read by ``convnets list`` without TensorFlow.

Importing the registry imports every model file and so TensorFlow (12 s on a
2-core machine); listing the models should not. ``build()`` turns the registry
into rows, ``python -m convnets.catalog --write`` stores them beside this file,
and ``tests/test_registry.py`` fails when the stored rows and the registry differ.
This module imports neither TensorFlow nor the models until ``build()`` is called.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from convnets.errors import ConfigError

PATH = Path(__file__).with_name("catalog.json")


def natural_key(name: str) -> list[Any]:
    """'resnet18' < 'resnet20' < 'resnet101': numbers compare as numbers."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def human(n: float) -> str:
    """3_857_973_248 -> '3.86 G', 40_551_040 -> '40.55 M', 328_096 -> '0.33 M' (MACs, parameters)."""
    return f"{n / 1e9:.2f} G" if n >= 1e9 else f"{n / 1e6:.2f} M"


def build() -> list[dict[str, Any]]:
    """One row per registered model, from the registry (imports the models)."""
    from convnets.models.registry import list_models, model_info

    rows = []
    for name in list_models():
        info = model_info(name)
        rows.append({
            "name": name, "family": info.family.name, "family_title": info.family.title, "year": info.year,
            "paper": info.paper, "paper_title": info.source.title, "arxiv": info.source.arxiv, "mini": info.mini, "mini_of": info.mini_of,
            "trainable_params": info.trainable_params, "total_params": info.total_params, "macs": info.macs,
            "input_shape": list(info.input_shape), "num_classes": info.num_classes,
            "description": info.description,
            "options": {k: v if isinstance(v, (bool, int, float, str, type(None))) else repr(v)
                        for k, v in info.options.items()},
            "top1": list(info.top1) if info.top1 else None,
        })
    return rows


def load() -> list[dict[str, Any]]:
    """The stored rows (no TensorFlow)."""
    return json.loads(PATH.read_text())


def entries(pattern: str = "*") -> list[dict[str, Any]]:
    """Stored rows whose name matches ``pattern``, ordered by family (as the papers appeared), then
    ImageNet-sized models before small-image ones, then depth."""
    rows = [r for r in load() if fnmatch.fnmatch(r["name"], pattern)]
    return sorted(rows, key=lambda r: (r["year"], r["family"], r["input_shape"][0] < 100, natural_key(r["name"])))


def unknown_model(name: str, names: Iterable[str]) -> ConfigError:
    """The error for a name no model is registered under, naming the close ones."""
    names = list(names)
    close = [n for n in names if name.lower() in n or n in name.lower()]
    hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
    return ConfigError(f"unknown model {name!r}{hint}; run 'convnets list' to see all {len(names)} models")


def check_name(name: Any) -> None:
    """Refuse a name the catalogue lacks, without importing TensorFlow: the CLI checks a command's
    model before the seconds TensorFlow takes to start."""
    if not isinstance(name, str):
        raise ConfigError(f"model name must be a string, got {name!r}")
    names = [r["name"] for r in load()]
    if name not in names:
        raise unknown_model(name, names)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", action="store_true", help=f"write {PATH.name}")
    args = p.parse_args()
    text = json.dumps(build(), indent=1) + "\n"
    if args.write:
        PATH.write_text(text)
        print(f"wrote {PATH}")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
