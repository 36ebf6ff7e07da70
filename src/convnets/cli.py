"""The ``convnets`` command line: argument parsing only; the work is in the library.

User mistakes (``ConvnetsError``, a missing file) print one line on stderr and
exit with code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

EPILOG = """examples:
  convnets list
  convnets summary lenet5
  convnets compare 'resnet*' mobilenet_v2 --plot compare.png
  convnets train lenet5 --dataset digits --epochs 20 --out runs/lenet5-digits
  convnets train lenet5 --dataset mnist --data-dir ../shared/data --out runs/lenet5-mnist
  convnets evaluate runs/lenet5-mnist
  convnets predict runs/lenet5-mnist digit.png --top-k 3
  convnets plot runs/lenet5-mnist
  convnets filters runs/lenet5-mnist
  convnets features runs/lenet5-mnist digit.png --layer C3
  convnets gradcam runs/lenet5-mnist digit.png
  convnets export runs/lenet5-mnist --out exported/lenet5
  convnets export runs/lenet5-mnist --format tflite --quantize int8 --out lenet5.tflite
  convnets export runs/lenet5-mnist --format onnx --out lenet5.onnx
  convnets embed runs/lenet5-mnist my_digits/ --out features.npy
  convnets convert-keras mobilenet_v2 --out runs/mobilenet_v2-imagenet
  convnets convert-torch resnet18 --out runs/resnet18-imagenet
  convnets train resnet18 --dataset folder:my_photos --init-from runs/resnet18-imagenet --freeze backbone

data sets: digits (bundled, offline), mnist, fashion_mnist, cifar10, cifar100,
folder:PATH. Files are looked for under --data-dir, $CONVNETS_DATA_DIR,
~/.cache/convnets ($CONVNETS_CACHE_DIR), /usr/share/datasets, then downloaded.
"""


PREDICT_HELP = """Classify image files with a trained run.

Each image is decoded, converted to the run's channels and resized (not cropped) to
the image size it was trained on, then normalised as the training images were. It
should look like those images: an MNIST or digits run expects a light (white) digit,
centred, on a dark (black) background, 28x28 greyscale for MNIST; a dark digit on
white paper is predicted wrong. predict prints a note when an image's brightness is
the opposite of the training images'."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_value(text: str) -> Any:
    """'3' -> 3, '0.5' -> 0.5, 'true' -> True, 'none' -> None, else the string."""
    low = text.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_model_args(items: list[str] | None) -> dict[str, Any]:
    from convnets.errors import ConfigError

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--model-arg expects KEY=VALUE, got {item!r}")
        out[key.strip().replace("-", "_")] = parse_value(value.strip())
    return out


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input-shape", metavar="H,W,C",
                   help="model input shape (default: the model's, or the recipe's for the data set: "
                        "the minis take Fashion-MNIST at 28,28,1)")
    p.add_argument("--num-classes", type=int, metavar="N", help="classifier outputs (default: the model's, or the data set's)")
    p.add_argument("--model-arg", action="append", metavar="KEY=VALUE", help="builder option, repeatable (e.g. alpha=0.5)")


TRAIN_HELP = """Train a model; writes a run directory.

The training options are TrainConfig's fields (convnets/train/config.py), one flag
each. Unset, each is the model's recipe for the data set (convnets/recipes.py),
else TrainConfig's default (in brackets); with --resume, the run's own settings."""

# The training options whose flag is not --FIELD-NAME VALUE: field -> (flag, add_argument keywords).
TRAIN_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    "jit_compile": ("--xla", dict(action="store_const", const=True)),
    "fused_batch_norm": ("--unfused-bn", dict(action="store_const", const=False, help=(
        "train BatchNorm with the step-by-step ops instead of the one fused kernel (the same results, slower)"))),
}


def _int_list(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, e.g. 30,60, got {text!r}") from None


def _shown_default(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    return "unset" if value is None else str(value)


def _add_train_options(p: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field, from the field's type, help, choices and default (convnets/train/config.py;
    it imports no TensorFlow). Every default is None: unset flags leave the recipe's value."""
    import dataclasses

    from convnets.train.config import TrainConfig, setting_type

    for f in dataclasses.fields(TrainConfig):
        kind = setting_type(f.name)
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        help = f"{f.metadata['help']} [{_shown_default(default)}]".replace("%", "%%")
        flag, special = TRAIN_FLAGS.get(f.name, (f"--{f.name.replace('_', '-')}", {}))
        options: dict[str, Any] = dict(dest=f.name, default=None, help=help)
        if "action" in special:  # a flag without a value: its keywords say what it sets
            pass
        elif kind is bool:
            options["action"] = argparse.BooleanOptionalAction  # --FIELD / --no-FIELD
        else:
            options.update(type=_int_list if kind is list else kind, metavar=f.metadata.get("metavar"),
                           choices=f.metadata.get("choices"))
        p.add_argument(flag, **{**options, **special})


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line ("convnets: error: ...") and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    from convnets.train.config import TTA_MODES  # imports no TensorFlow

    parser = _Parser(
        prog="convnets",
        description="Classic convolutional networks rebuilt from their papers with TensorFlow's low-level API.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("list", help="list the models with parameter counts and input sizes")
    p.add_argument("--pattern", default="*", help="shell-style filter, e.g. 'lenet*'")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("compare", help="models side by side: year, parameters, MACs, published and measured accuracy",
                       description="The registry's facts beside the published ImageNet top-1 and the runs measured "
                       "here (docs/results.json); --plot draws accuracy against cost. Needs no TensorFlow.")
    p.add_argument("models", nargs="*", metavar="MODEL", help="names or shell patterns, e.g. 'resnet*' (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--plot", metavar="FILE.png", help="also draw top-1 against MACs and parameters, and the minis' "
                   "accuracy against training seconds")
    p.add_argument("--results", metavar="FILE", help="the measured runs (default: the checkout's docs/results.json)")

    p = sub.add_parser("summary", help="layer table: output shapes, parameters, multiply-accumulates, receptive fields")
    p.add_argument("model")
    _add_model_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("draw", help="a diagram of a model: its stages, and one block of each kind opened up",
                       description="Drawn from the model itself (traced, nothing computed): the stem, the stages and "
                       "the head with output shapes and parameters, beside the first block of each kind opened up "
                       "(branches, shortcuts, concatenations, gates, channel shuffles). SVG keeps the text as text.")
    p.add_argument("model")
    _add_model_options(p)
    p.add_argument("--depth", choices=("stages", "blocks", "layers"), default="stages",
                   help="the overview's boxes: one per stage (default), per block, or every layer's graph")
    p.add_argument("--out", required=True, metavar="FILE.svg|png", help="the picture to write")

    p = sub.add_parser("train", help="train a model; writes a run directory", description=TRAIN_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--dataset", default="digits", help="digits (default), mnist, fashion_mnist, cifar10, cifar100, folder:PATH")
    p.add_argument("--data-dir", help="data root (default: $CONVNETS_DATA_DIR, then the cache)")
    _add_model_options(p)
    _add_train_options(p)
    p.add_argument("--out", help="run directory (default: runs/MODEL-DATASET)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--no-download", action="store_true", help="never download data files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("evaluate", help="test accuracy, per-class precision/recall, confusion matrix")
    p.add_argument("run_dir")
    p.add_argument("--dataset", metavar="NAME",
                   help="test on this data set instead of the run's own (needed for a convert-keras run); "
                        "its classes must be the run's, or some of them with the same names")
    p.add_argument("--data-dir", metavar="DIR", help="data root (default: the one the run was trained from, then $CONVNETS_DATA_DIR)")
    p.add_argument("--tta", choices=TTA_MODES, default="none",
                   help="flip: also report the accuracy with each image's mirror averaged in (reported beside "
                        "the plain accuracy; for classes a mirror keeps, not digits)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("predict", help="classify image files with a trained run", description=PREDICT_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG, JPEG, GIF or BMP files")
    p.add_argument("--top-k", type=_positive_int, metavar="K",
                   help="how many classes to show per image (default 3; more than the run's classes shows them all)")
    p.add_argument("--json", action="store_true", help="print JSON: per image its top classes and looks_inverted")

    p = sub.add_parser("embed", help="features of images from a run's network without its classifier, as .npy",
                       description="Write the pooled last feature map of each image (N x features, float32) to "
                       "--out, and the image files in the same order to a CSV beside it, for scikit-learn "
                       "(e.g. LogisticRegression on the features of your own labelled images).")
    p.add_argument("run_dir")
    p.add_argument("images", nargs="+", metavar="IMAGE_OR_FOLDER",
                   help="PNG, JPEG, GIF or BMP files, or folders searched recursively for them")
    p.add_argument("--out", required=True, metavar="FILE.npy", help="the features; FILE.csv gets the file names")
    p.add_argument("--pooling", choices=["avg", "max"], default="avg", help="over the last feature map (default avg)")

    p = sub.add_parser("plot", help="training curves, confusion matrix and mistakes as PNG files in the run directory")
    p.add_argument("run_dir")
    p.add_argument("--data-dir", metavar="DIR", help="data root for the test set (default: the one the run was trained from)")

    p = sub.add_parser("filters", help="a convolution's kernels as a PNG (default: the first layer's)")
    p.add_argument("run_dir")
    p.add_argument("--layer", metavar="NAME", help="convolution name as in 'convnets summary' (default: the first)")
    p.add_argument("--out", metavar="PNG", help="PNG to write (default: RUN_DIR/filters-LAYER.png)")

    p = sub.add_parser("features", help="the feature maps of an image at a layer, as a PNG")
    p.add_argument("run_dir")
    p.add_argument("image")
    p.add_argument("--layer", metavar="NAME", help="layer name as in 'convnets summary' (default: the first convolution)")
    p.add_argument("--out", metavar="PNG", help="PNG to write (default: RUN_DIR/features-IMAGE-LAYER.png)")

    p = sub.add_parser("gradcam", help="Grad-CAM heat map: where the evidence for a class is in an image")
    p.add_argument("run_dir")
    p.add_argument("image")
    p.add_argument("--class", dest="class_name", metavar="C", help="class name or index (default: the predicted class)")
    p.add_argument("--layer", metavar="NAME", help="layer name (default: the last one with a spatial grid)")
    p.add_argument("--out", metavar="PNG", help="PNG to write (default: RUN_DIR/gradcam-IMAGE.png)")

    p = sub.add_parser("export", help="export a trained run as a SavedModel, a TFLite file or an ONNX file")
    p.add_argument("run_dir")
    p.add_argument("--out", required=True, metavar="PATH", help="SavedModel directory, .tflite or .onnx file to write")
    p.add_argument("--format", choices=["savedmodel", "tflite", "onnx"], default="savedmodel",
                   help="onnx needs the [onnx] extra (tf2onnx, onnxruntime)")
    p.add_argument("--quantize", choices=["none", "int8"], default="none",
                   help="tflite: int8 post-training quantisation, calibrated on training images")
    p.add_argument("--data-dir", metavar="DIR", help="data root, for int8 calibration and the accuracy check")
    p.add_argument("--dataset", metavar="NAME",
                   help="tflite: calibrate and check on this data set instead of the run's own (a convert-keras run has none)")
    p.add_argument("--no-check", action="store_true", help="tflite, onnx: skip the test-set comparison with the original")

    p = sub.add_parser("convert-keras", help="port a Keras Applications model (ImageNet weights if reachable) to a run directory")
    p.add_argument("model", help="vgg16, vgg19, resnet50/101/152, resnet50v2/101v2/152v2, densenet121/169/201, "
                                 "mobilenet_v1, mobilenet_v2, mobilenet_v3_small, mobilenet_v3_large, efficientnet_b0..b7, "
                                 "inception_v3, xception, "
                                 "inception_resnet_v2")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory to write")
    p.add_argument("--weights", choices=["auto", "imagenet", "none"], default="auto",
                   help="auto: ImageNet if it can be downloaded, else random (default)")
    p.add_argument("--alpha", type=float, default=1.0, metavar="A", help="MobileNet width multiplier (default 1.0)")
    p.add_argument("--size", type=_positive_int, metavar="S",
                   help="input resolution, S x S (default: the model's, 224; 299 for inception_v3, xception, "
                        "inception_resnet_v2)")
    p = sub.add_parser("convert-torch", help="port a torchvision model (ImageNet weights if reachable) to a run directory")
    p.add_argument("model", help="torchvision's name: alexnet, vgg11..vgg19 and their _bn forms, resnet18/34/50/101/152, "
                                 "resnext50_32x4d, resnext101_32x8d, wide_resnet50_2/101_2, googlenet, inception_v3, "
                                 "densenet121/169/201, mobilenet_v2, mobilenet_v3_small/large, squeezenet1_0, squeezenet1_1, "
                                 "shufflenet_v2_x0_5/x1_0/x1_5/x2_0, efficientnet_b0..b7")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory to write")
    p.add_argument("--weights", choices=["auto", "imagenet", "none"], default="auto",
                   help="auto: torchvision's ImageNet weights if they can be downloaded, else random (default)")
    p.add_argument("--size", type=_positive_int, metavar="S",
                   help="input resolution, S x S (default 224; 299 for inception_v3; VGG and AlexNet take only 224)")
    for command in sub.choices.values():  # --debug after the command too: either place works
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for errors")
    return parser


def _synopsis_token(action: argparse.Action) -> str:
    """One argument as the synopsis shows it: MODEL, IMAGE..., [--json], [--format a|b], --out PATH."""
    if not action.option_strings:
        name = action.metavar or action.dest.upper()
        return f"{name}..." if action.nargs in ("+", "*") else name
    flag = max(action.option_strings, key=len)
    if action.nargs == 0:
        return f"[{flag}]"
    if action.choices:
        value = "|".join(map(str, action.choices))
    else:
        value = action.metavar or action.dest.upper()
    text = f"{flag} {value}" + (" ..." if isinstance(action, argparse._AppendAction) else "")
    return text if action.required else f"[{text}]"


def synopsis(width: int = 100) -> str:
    """Every command's arguments, one usage group per command (wrapped at ``width``), then its
    help line: generated from ``build_parser()``, so the README's synopsis cannot drift from it."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    lines = ["convnets [--debug] COMMAND ...   --debug, before or after COMMAND: a traceback, not one line"]
    for name, command in sub.choices.items():
        tokens = [_synopsis_token(a) for a in command._actions
                  if not isinstance(a, argparse._HelpAction) and "--debug" not in a.option_strings]
        lead = f"convnets {name}"
        line = lead
        for token in tokens:
            if len(line) + 1 + len(token) > width and line.strip() != lead:
                lines.append(line)
                line = " " * len(lead)
            line += " " + token
        lines.append(line)
        lines.append(f"    {helps[name]}")
    return "\n".join(lines)


def cmd_compare(args: argparse.Namespace) -> None:
    from convnets.compare import compare, format_rows, load_results, plot

    rows = compare(args.models, load_results(args.results))
    if args.plot:
        written = plot(rows, args.plot)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_rows(rows))
    if args.plot:
        print(f"wrote {written}", file=sys.stderr if args.json else sys.stdout)


def cmd_list(args: argparse.Namespace) -> None:
    from convnets.catalog import entries, human

    rows = entries(args.pattern)  # registered facts; no model is built, TensorFlow is not imported
    if args.json:
        keys = ("name", "family", "year", "paper", "mini_of", "mini", "trainable_params", "total_params", "macs",
                "input_shape", "num_classes", "options", "description")
        print(json.dumps([{k: r[k] for k in keys} for r in rows], indent=2))
        return
    if not rows:
        print(f"no model matches {args.pattern!r}")
        return
    head = ("model", "year", "input", "classes", "trainable", "MACs", "kind")
    body = [(r["name"], str(r["year"]), "x".join(map(str, r["input_shape"])), str(r["num_classes"]),
             f"{r['trainable_params']:,}", human(r["macs"]),
             f"mini of {r['mini_of']}" if r["mini_of"] else "mini" if r["mini"] else "paper")
            for r in rows]
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(len(head))]
    right = {"year", "classes", "trainable", "MACs"}

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(f"{c:>{w}}" if h in right else f"{c:<{w}}" for c, w, h in zip(row, widths, head)).rstrip()

    family = None
    print(line(head))
    for r, row in zip(rows, body):
        if r["family"] != family:
            family = r["family"]
            print(f"-- {r['family_title']} ({r['year']}): {r['paper_title']}"[:100])
        print(line(row))
    print(f"{len(rows)} models; 'convnets summary MODEL' for the layer table, 'convnets list --json' for everything")


def _build_model(args: argparse.Namespace, num_classes: int | None = None, defaults: dict[str, Any] | None = None):
    """The model the flags ask for; ``defaults`` are builder options (a recipe's) the flags override."""
    from convnets import create_model

    options = {**(defaults or {}), **parse_model_args(args.model_arg)}
    shape = options.pop("input_shape", None)
    given = args.num_classes if args.num_classes is not None else num_classes  # --num-classes 0 is an error, not "default"
    return create_model(args.model, num_classes=given, input_shape=args.input_shape or shape, **options)


def cmd_summary(args: argparse.Namespace) -> None:
    from convnets.catalog import check_name

    check_name(args.model)
    from convnets.summary import format_table, summarize

    s = summarize(_build_model(args), fields=True)
    print(json.dumps(s, indent=2) if args.json else format_table(s))


def cmd_draw(args: argparse.Namespace) -> None:
    from convnets.catalog import check_name

    check_name(args.model)
    from convnets.layers import init
    from convnets.viz import diagram

    diagram.check_out(args.out)  # before the model is built
    with init.zeros_only():  # the picture needs shapes and counts, not random weights
        model = _build_model(args)
    path = diagram.save(diagram.draw(model, args.depth), args.out)
    print(f"wrote {path}")


def _dataset_label(name: str) -> str:
    """A data set's part of the default run directory: "mnist", or an image folder's own name."""
    return os.path.basename(os.path.normpath(name[len("folder:"):])) if name.startswith("folder:") else name


def _recorded_train_config(run_dir: str) -> dict[str, Any] | None:
    """The training settings recorded in RUN_DIR/config.json, if it is a run trained here."""
    try:
        recorded = json.loads(open(os.path.join(run_dir, "config.json")).read()).get("train")
    except (OSError, ValueError, AttributeError):
        return None
    return recorded if isinstance(recorded, dict) else None


def cmd_train(args: argparse.Namespace) -> None:
    import dataclasses

    from convnets.catalog import check_name

    check_name(args.model)  # an unknown name fails at once, not after TensorFlow's start-up
    from convnets.data import load_dataset
    from convnets.layers import init
    from convnets.recipes import fine_tune_recipe, model_options_for, recipe_for
    from convnets.train import TrainConfig, train
    from convnets.train.distribute import make_strategy, scope

    flags = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)}  # None: not given
    config = recipe_for(args.model, args.dataset).updated(**flags)  # a bad flag fails before the data loads
    if config.init_from is not None:  # fine-tuning: a short schedule at a low rate (recipes.FINE_TUNE)
        config = fine_tune_recipe(args.model, args.dataset, config.freeze).updated(**flags)
    dataset = load_dataset(args.dataset, args.data_dir, allow_download=not args.no_download)
    out = args.out or os.path.join("runs", f"{args.model}-{_dataset_label(dataset.name)}")
    recorded = _recorded_train_config(out) if args.resume else None
    if recorded is not None:  # --resume continues the run's own settings; train() refuses flags that change them
        config = TrainConfig.from_dict(recorded).updated(**flags)
    strategy = make_strategy(config.strategy)
    with scope(strategy):
        init.set_seed(config.seed)
        defaults = model_options_for(args.model, args.dataset)
        if config.init_from is not None:  # the same network as the weights were made for (variant, alpha, ...)
            from convnets.train.finetune import source_model_options

            defaults = {**defaults, **source_model_options(config.init_from, args.model)}
        model = _build_model(args, num_classes=dataset.num_classes, defaults=defaults)
    print(f"training {args.model} ({model.trainable_params:,} params) on {dataset.name} "
          f"({min(len(dataset.train), config.train_subset or len(dataset.train)):,} train / {len(dataset.test):,} "
          f"test images) -> {out}", flush=True)
    def stop(signum: int, frame: Any) -> None:  # SIGTERM (a scheduler's preemption) acts like Ctrl-C
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        metrics = train(model, dataset, config, out, resume=args.resume, progress=not args.quiet, data_dir=args.data_dir,
                        strategy=strategy)
    except KeyboardInterrupt:
        from convnets.train.checkpoint import latest_checkpoint

        if latest_checkpoint(out):
            again = [a for a in args.argv if a not in ("--resume", "--debug")]
            if not args.out:
                again += ["--out", out]
            print(f"stopped; continue with: convnets {shlex.join(again)} --resume", file=sys.stderr)
        else:
            print("stopped before training began; nothing to resume", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)  # only while training does SIGTERM mean "checkpoint and stop"
    print(f"test accuracy {metrics['test_accuracy']:.4f} after {metrics['epochs']} epochs, "
          f"{metrics['train_seconds']:.1f}s training ({metrics['images_per_second']:.0f} img/s); wrote {out}")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from convnets.evaluate import evaluate_run

    r = evaluate_run(args.run_dir, args.data_dir, dataset=args.dataset, tta=args.tta)
    if args.json:
        print(json.dumps(r, indent=2))
        return
    print(f"{r['model']} on {r['dataset']}: test accuracy {r['test_accuracy']:.4f}, top-5 {r['test_top5']:.4f}, "
          f"loss {r['test_loss']:.4f} ({r['test_images']:,} images)")
    if "tta" in r:
        print(f"with {r['tta']['mode']} test-time augmentation: test accuracy {r['tta']['test_accuracy']:.4f}, "
              f"top-5 {r['tta']['test_top5']:.4f} (the numbers below are the plain ones)")
    print(f"{'class':<14} {'precision':>9} {'recall':>7} {'support':>8}")
    for c in r["per_class"]:
        print(f"{c['class'][:14]:<14} {c['precision']:>9.4f} {c['recall']:>7.4f} {c['support']:>8}")
    print("confusion matrix (rows: true, columns: predicted):")
    for row in r["confusion_matrix"]:
        print(" ".join(f"{v:5d}" for v in row))


def cmd_predict(args: argparse.Namespace) -> None:
    from convnets.evaluate import predict_files

    results = predict_files(args.run_dir, args.images, args.top_k or 3)
    shown = len(results[0]["top"])
    if args.top_k and args.top_k > shown:
        print(f"note: --top-k {args.top_k} is more than the run's {shown} classes; showing all {shown}",
              file=sys.stderr)
    for r in results:
        if r["looks_inverted"]:
            expect = ("MNIST-style runs expect a light digit on a dark background" if r["brightness"] > 0.5
                      else "this run's training images are mostly light")
            print(f"note: {r['image']} looks inverted relative to the training images "
                  f"({'dark on light' if r['brightness'] > 0.5 else 'light on dark'}); {expect}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        print(r["image"] + ": " + ", ".join(f"{t['class']} {t['probability']:.3f}" for t in r["top"]))


def cmd_embed(args: argparse.Namespace) -> None:
    from convnets.errors import ConfigError

    out = Path(args.out)
    if out.suffix != ".npy":
        raise ConfigError(f"--out {args.out}: the features file's name ends in .npy")
    import numpy as np
    import pandas as pd

    from convnets.evaluate import embed_files

    features, files = embed_files(args.run_dir, args.images, args.pooling)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, features)
    pd.DataFrame({"file": files}).to_csv(out.with_suffix(".csv"), index_label="row")
    print(f"wrote {out} ({features.shape[0]:,} images x {features.shape[1]:,} features) and {out.with_suffix('.csv')}")


def cmd_plot(args: argparse.Namespace) -> None:
    from convnets.viz import plot_run

    for path in plot_run(args.run_dir, args.data_dir):
        print(f"wrote {path}")


def cmd_filters(args: argparse.Namespace) -> None:
    from convnets.viz.inside import filters_for_run

    print(f"wrote {filters_for_run(args.run_dir, args.layer, args.out)}")


def cmd_features(args: argparse.Namespace) -> None:
    from convnets.viz.inside import features_for_run

    print(f"wrote {features_for_run(args.run_dir, args.image, args.layer, args.out)}")


def cmd_gradcam(args: argparse.Namespace) -> None:
    from convnets.viz.inside import gradcam_for_run

    path, label, prob = gradcam_for_run(args.run_dir, args.image, args.class_name, args.layer, args.out)
    print(f"wrote {path} (class {label}, probability {prob:.3f})")


def cmd_export(args: argparse.Namespace) -> None:
    from convnets.errors import ConfigError
    from convnets.export import compare_exported, export_onnx, export_savedmodel, export_tflite

    if args.quantize != "none" and args.format != "tflite":
        raise ConfigError("--quantize applies to --format tflite")
    if args.format == "savedmodel":
        print(f"wrote SavedModel {export_savedmodel(args.run_dir, args.out)}")
        return
    if args.format == "onnx":
        if Path(args.out).suffix != ".onnx":
            raise ConfigError(f"--out {args.out}: an ONNX file's name ends in .onnx")
        path = export_onnx(args.run_dir, args.out)
    else:
        path = export_tflite(args.run_dir, args.out, args.quantize, args.data_dir, dataset=args.dataset)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    from convnets.train.checkpoint import read_config

    if not args.no_check and args.dataset is None and read_config(args.run_dir).get("train") is None:
        print(f"note: {args.run_dir} is a converted run with no test set of its own; not compared with the original "
              "(--dataset NAME compares on labelled images)", file=sys.stderr)
    elif not args.no_check:
        r = compare_exported(args.run_dir, path, args.data_dir, dataset=args.dataset)
        print(f"test set ({r['images']:,} images): original top-1 {r['original_accuracy']:.4f}, "
              f"{args.format} top-1 {r[args.format + '_accuracy']:.4f}, same prediction on {r['top1_agreement']:.2%}")


def cmd_convert_keras(args: argparse.Namespace) -> None:
    from convnets.keras_port import convert_keras

    r = convert_keras(args.model, args.out, args.weights, args.alpha, args.size,
                      log=lambda s: print(s, file=sys.stderr))
    print(f"wrote {r['out']}: {r['model']} from keras.applications.{r['keras']} with {r['weights']} weights "
          f"({r['trainable_params']:,} params)")


def cmd_convert_torch(args: argparse.Namespace) -> None:
    from convnets.torch_port import convert_torch

    r = convert_torch(args.model, args.out, args.weights, args.size, log=lambda s: print(s, file=sys.stderr))
    print(f"wrote {r['out']}: {r['model']} from torchvision.models.{r['torchvision']} with {r['weights']} weights "
          f"({r['trainable_params']:,} params)")


COMMANDS = {"list": cmd_list, "compare": cmd_compare, "summary": cmd_summary, "draw": cmd_draw, "train": cmd_train,
            "evaluate": cmd_evaluate, "predict": cmd_predict, "embed": cmd_embed, "plot": cmd_plot, "filters": cmd_filters,
            "features": cmd_features, "gradcam": cmd_gradcam, "export": cmd_export, "convert-keras": cmd_convert_keras,
            "convert-torch": cmd_convert_torch}


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (so a redirected or captured stderr gets it)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


@contextlib.contextmanager
def _warnings_as_our_lines():
    """While a command runs, the library's warnings (logger "convnets") print as
    "convnets: ..." on stderr, whatever handlers TensorFlow or others put on the root logger."""
    log = logging.getLogger("convnets")
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("convnets: %(message)s"))
    log.addHandler(handler)
    propagate, log.propagate = log.propagate, False
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.propagate = propagate


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # to print the exact command that resumes an interrupted run
    from convnets.errors import ConvnetsError

    try:
        with _warnings_as_our_lines():
            COMMANDS[args.command](args)
    except ConvnetsError as e:
        if args.debug:
            raise
        print(f"convnets: error: {e}", file=sys.stderr)
        return 2
    except (FileNotFoundError, PermissionError, IsADirectoryError) as e:
        if args.debug:
            raise
        print(f"convnets: error: {e.filename or ''}: {e.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
