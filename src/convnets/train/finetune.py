"""Start a run from another run's weights (``--init-from RUN_DIR``): transfer learning.

The source is any run directory: trained here, or converted from Keras Applications
or torchvision (``convnets convert-keras`` / ``convert-torch``: ImageNet weights); for
the same model, the new one is built with the source's builder options
(``source_model_options``: a torchvision variant, a width multiplier). Each variable of the new model takes
the source's variable at the same place in the network (its attribute path: stage,
block, layer, kernel) when the shapes agree; the rest start from their initialisation:
a classifier for another number of classes, a first convolution for another number of
input channels. ``--freeze backbone`` then trains only the classifier, ``--freeze
LAYER`` the layers after LAYER (``Model.freeze_features``); the recipe is
``convnets.recipes.FINE_TUNE`` over the model's.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from convnets import import_tensorflow
from convnets.data.pipeline import PreprocessSpec
from convnets.errors import ConfigError
from convnets.models import Model
from convnets.train.checkpoint import load_run

tf = import_tensorflow()


def variables_by_path(model: tf.Module) -> dict[str, tf.Variable]:
    """Every variable of ``model`` by its attribute path ("blocks/3/conv1/w"): the same for the same
    architecture whatever the number of classes (variable *names* repeat from block to block)."""
    found = model._flatten(predicate=lambda v: isinstance(v, tf.Variable), with_path=True)  # tf.Module's own walk
    return {"/".join(map(str, path)): v for path, v in found}


def copy_weights(model: Model, run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Copy ``run_dir``'s weights into ``model`` where place and shape agree; return what was copied
    (``copied``, ``values``) and what starts fresh (``fresh``: paths, with the reason)."""
    source, spec, config = load_run(run_dir)
    theirs = variables_by_path(source)
    copied, values, fresh = 0, 0, []
    for path, v in variables_by_path(model).items():
        other = theirs.get(path)
        if other is None:
            fresh.append(f"{path} (not in {config['model']['name']})")
        elif tuple(other.shape) != tuple(v.shape):
            fresh.append(f"{path} ({'x'.join(map(str, other.shape))} there, {'x'.join(map(str, v.shape))} here)")
        else:
            v.assign(other)
            copied += 1
            values += int(tf.size(v))
    if copied == 0:
        raise ConfigError(f"--init-from {run_dir}: none of its {len(theirs)} variables fits "
                          f"{model.config.get('name', model.name)} (that run is a {config['model']['name']})")
    return {"source": os.fspath(run_dir), "source_model": config["model"]["name"], "copied": copied,
            "values": values, "fresh": fresh, "preprocess": spec}


def source_model_options(run_dir: str | os.PathLike[str], model_name: str) -> dict[str, Any]:
    """The builder options ``run_dir``'s model was built with, when it is the same model: a fine-tuned
    network must compute what its weights were trained for (torchvision's padding, a width multiplier).
    The top (include_top, pooling) is the new run's own."""
    import json

    try:
        model = json.loads(open(os.path.join(run_dir, "config.json")).read()).get("model") or {}
    except (OSError, ValueError, AttributeError):
        return {}  # copy_weights says what is wrong with the run directory
    if model.get("name") != model_name:
        return {}
    return {k: v for k, v in (model.get("options") or {}).items() if k not in ("include_top", "pooling")}


def fine_tune_spec(spec: PreprocessSpec, source: PreprocessSpec) -> PreprocessSpec:
    """The new data set's preprocessing with the source run's normalisation (mean, std, channel order):
    pretrained features expect their inputs scaled as they were trained on (Keras's caffe/torch/tf modes)."""
    channels = len(spec.mean)
    if len(source.mean) == channels:
        return replace(spec, mean=source.mean, std=source.std, channel_order=source.channel_order)
    # Grey images into a colour network (or the other way round): normalised with the channels' average,
    # then repeated (or averaged) to the network's channels as preprocess does.
    mean, std = sum(source.mean) / len(source.mean), sum(source.std) / len(source.std)
    return replace(spec, mean=(mean,) * channels, std=(std,) * channels)
