"""The pieces every learning notebook shares, for ``scripts/notebooks.py`` and the notebook files beside it.

A notebook is a list of cells built with ``md(en, pt)`` (explanatory text in English and Brazilian
Portuguese) and ``code(source)`` (one source for both languages: the Portuguese notebooks in
``notebooks/pt-BR/`` run exactly the English ones' code). ``render(cells, lang)`` gives the nbformat cells.
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell

LANGS = ("en", "pt")

SETUP = """\
import os, time
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import convnets                            # before TensorFlow: convnets starts it without its CUDA-probe messages
import convnets.layers                     # the building blocks; convnets.layers.init holds the seeds
from convnets.data import load_dataset
import tensorflow as tf

QUICK = os.environ.get("CONVNETS_NOTEBOOK_QUICK") == "1"  # CI: tiny subsets, one epoch
for _shared in ("../../shared/data", "../../../shared/data"):  # notebooks/ and notebooks/pt-BR/ in a checkout
    if not os.environ.get("CONVNETS_DATA_DIR") and os.path.isdir(_shared):
        os.environ["CONVNETS_DATA_DIR"] = _shared
print("data:", os.environ.get("CONVNETS_DATA_DIR") or "CONVNETS_DATA_DIR is not set: the data sets are looked for "
      "in ~/.cache/convnets and /usr/share/datasets, else downloaded (see the note above)")
RUNS = "runs-notebooks"
convnets.layers.init.set_seed(0)"""

# The end of every notebook's first cell: where the data comes from, before anything fails.
DATA_NOTE = {
    "en": """

**Before you run it**: this notebook reads MNIST or Fashion-MNIST. Point
`CONVNETS_DATA_DIR` at the folder that holds `mnist/` and `fashion-mnist/`
*before* starting Jupyter (`CONVNETS_DATA_DIR=/path/to/data jupyter lab`), or let
the first `load_dataset` download them into `~/.cache/convnets` (needs the
network; `CONVNETS_NO_DOWNLOAD=1` forbids it). The setup cell prints which it uses.""",
    "pt": """

**Antes de executar**: este notebook lê o MNIST ou o Fashion-MNIST. Aponte
`CONVNETS_DATA_DIR` para a pasta que contém `mnist/` e `fashion-mnist/`
*antes* de abrir o Jupyter (`CONVNETS_DATA_DIR=/caminho/dos/dados jupyter lab`),
ou deixe o primeiro `load_dataset` baixá-los para `~/.cache/convnets` (precisa de
rede; `CONVNETS_NO_DOWNLOAD=1` proíbe o download). A célula de configuração mostra qual foi usada.""",
}

TRAIN_HELPER = """\
import shutil
from convnets.train import train
from convnets.train.config import TrainConfig

def fit(model, data, out, **config):
    \"\"\"Train with convnets' loop (GradientTape + tf.function); return the history table.\"\"\"
    shutil.rmtree(out, ignore_errors=True)
    metrics = train(model, data, TrainConfig(**config), out, progress=False, log=lambda s: None)
    history = pd.read_csv(os.path.join(out, "history.csv"))
    history["model"] = model.config["name"]
    return history"""


def md(en: str, pt: str) -> dict:
    """An explanatory (markdown) cell, in English and in Brazilian Portuguese."""
    if not en.strip() or not pt.strip():
        raise ValueError("a markdown cell needs both its English and its Portuguese text")
    return {"cell_type": "markdown", "en": en, "pt": pt}


def code(source: str) -> dict:
    """A code cell: the same source in every language's notebook."""
    return {"cell_type": "code", "source": source}


def intro(en: str, pt: str) -> dict:
    """A notebook's first cell: its introduction, then where the data comes from."""
    return md(en + DATA_NOTE["en"], pt + DATA_NOTE["pt"])


def render(cells: list[dict], lang: str = "en") -> list:
    """nbformat cells of one language."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return [new_markdown_cell(c[lang]) if c["cell_type"] == "markdown" else new_code_cell(c["source"]) for c in cells]
