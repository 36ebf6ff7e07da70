"""The registry: every registered model's facts checked against the model itself
(one registry-wide test), the catalogue ``convnets list`` reads, and
``create_model``'s argument checking."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import convnets
from convnets import catalog, recipes
from convnets.errors import ConfigError, InputError
from convnets.layers import init
from convnets.models.registry import Family, Paper, parse_input_shape, register, unregister


def registry_problems(name: str) -> list[str]:
    """Every way ``name``'s registered facts disagree with the model it builds (empty: all agree).

    Builds the model once at its default input (zeros only: counts and shapes, no
    random numbers), runs one forward pass through ``summarize`` (MACs and every
    layer's shape), and checks: the recorded trainable/total counts and MACs, the
    output shape, each reference implementation's count (built with its options),
    the paper's MACs within the recorded tolerance, and that a mini has a recipe
    and a target. A model registered without its numbers fails here.
    """
    info = convnets.model_info(name)
    problems = []
    if info.params is None:
        problems.append(f"{name} is registered without params=(trainable, total)")
    if info.macs is None:
        problems.append(f"{name} is registered without macs=")
    if not info.family.paper.title or not info.description:
        problems.append(f"{name} needs a family paper and a builder docstring")
    if problems:
        return problems
    with init.zeros_only():
        model = convnets.create_model(name)
    s = convnets.summarize(model, shapes_only=True)  # the numbers an ordinary pass gives (tests/test_summary.py)
    if (model.trainable_params, model.total_params) != info.params:
        problems.append(f"{name}: built {model.trainable_params:_} / {model.total_params:_}, registered {info.params}")
    if s["macs"] != info.macs:
        problems.append(f"{name}: counted {s['macs']:_} MACs, registered {info.macs:_}")
    # summarize ran the forward pass: its last (inference) layer's output is the model's
    out = tuple([r for r in s["layers"] if not r.get("training_only")][-1]["output_shape"])
    if out != (info.num_classes,):
        problems.append(f"{name}: output shape {out}, expected ({info.num_classes},)")
    if info.paper_macs is not None:
        figure, where = info.paper_macs
        if abs(s["macs"] - figure) / figure > info.macs_tolerance:
            problems.append(f"{name}: {s['macs']:,} MACs, more than {info.macs_tolerance:.0%} from the paper's "
                            f"{figure:,.0f} ({where})")
    for ref in info.references:
        if ref.options:
            with init.zeros_only():
                other = convnets.create_model(name, **ref.options)
        else:
            other = model
        if ref.trainable is not None and other.trainable_params != ref.trainable:
            problems.append(f"{name}: {other.trainable_params:_} trainable, {ref.label()}")
        if ref.total is not None and other.total_params != ref.total:
            problems.append(f"{name}: {other.total_params:_} total, {ref.label()}")
    if info.mini:
        if not recipes.has_recipe(name):
            problems.append(f"mini {name} has no recipe in convnets/recipes.py")
        if not any(m == name for m, _ in recipes.TARGETS):
            problems.append(f"mini {name} has no target in convnets/recipes.py TARGETS")
    return problems


@pytest.mark.parametrize("name", convnets.list_models())
def test_registered_facts_match_the_model(name):
    assert registry_problems(name) == []


def test_a_model_registered_without_its_numbers_fails_the_registry_test():
    from convnets.models.lenet import LENET5, LeNet5

    fam = Family("dummy", "Dummy", Paper("Nobody", "A Dummy Network", 2026), full="dummy_net", mini="dummy_net")

    @register(fam)
    def dummy_net(*, num_classes: int = 10, input_shape: tuple = (32, 32, 1)) -> LeNet5:
        """A throw-away model registered without counts."""
        return LeNet5(LENET5, num_classes=num_classes, input_shape=input_shape)

    try:
        assert registry_problems("dummy_net") == [
            "dummy_net is registered without params=(trainable, total)", "dummy_net is registered without macs="]
    finally:
        unregister("dummy_net")
    assert "dummy_net" not in convnets.list_models()


def test_wrong_registered_counts_are_reported():
    from convnets.models.lenet import LENET5, LeNet5

    fam = Family("dummy", "Dummy", Paper("Nobody", "A Dummy Network", 2026), full="dummy_net2", mini="dummy_net2")

    @register(fam, params=(60_851, 60_850), macs=328_096)
    def dummy_net2(*, num_classes: int = 10, input_shape: tuple = (32, 32, 1)) -> LeNet5:
        """LeNet-5 with a wrong trainable count."""
        return LeNet5(LENET5, num_classes=num_classes, input_shape=input_shape)

    try:
        assert registry_problems("dummy_net2") == ["dummy_net2: built 60_850 / 60_850, registered (60851, 60850)"]
    finally:
        unregister("dummy_net2")


def test_catalog_is_current():
    """``convnets list`` reads convnets/catalog.json; it must say what the registry says."""
    assert catalog.load() == catalog.build(), "run: python -m convnets.catalog --write"


def test_list_and_create():
    assert {"lenet5", "lenet5_modern"} <= set(convnets.list_models())
    assert convnets.list_models("lenet5_m*") == ["lenet5_modern"]
    assert convnets.list_models("resnet*")[:3] == ["resnet18", "resnet20", "resnet32"]  # natural order
    m = convnets.create_model("lenet5", num_classes=None, input_shape=None)
    assert m.input_shape == (32, 32, 1) and m.num_classes == 10
    assert m.config == {"name": "lenet5", "num_classes": 10, "input_shape": [32, 32, 1], "options": {}}


def test_unknown_model_and_option_are_clear_errors():
    with pytest.raises(ConfigError, match="unknown model 'lenet6'"):
        convnets.create_model("lenet6")
    with pytest.raises(ConfigError, match="has no option alpha"):
        convnets.create_model("lenet5", alpha=0.5)


@pytest.mark.parametrize("text,expected", [("32,32,1", (32, 32, 1)), ("28x28x3", (28, 28, 3)), ([8, 8, 1], (8, 8, 1))])
def test_parse_input_shape(text, expected):
    assert parse_input_shape(text) == expected


@pytest.mark.parametrize("bad", ["32,32", "a,b,c", "0,32,1", [1, 2, 3, 4], (32.5, 32, 1), (True, 32, 1), 32])
def test_bad_input_shape(bad):
    with pytest.raises(ConfigError, match="input shape"):
        parse_input_shape(bad)


@pytest.mark.parametrize("value", ["10", 10.0, True, 0, -3])
def test_num_classes_must_be_a_positive_int(value):
    with pytest.raises(ConfigError, match="num_classes"):
        convnets.create_model("lenet5", num_classes=value)


@pytest.mark.parametrize("name,option,value,expected", [
    ("mobilenet_v1", "alpha", "0.5", "option alpha must be float, got '0.5' (str)"),
    ("mobilenet_v1", "alpha", True, "option alpha must be float, got True (bool)"),
    ("resnet20", "width", 16.5, "option width must be int, got 16.5 (float)"),
    ("resnet50", "include_top", "false", "option include_top must be bool, got 'false' (str)"),
])
def test_builder_options_are_type_checked(name, option, value, expected):
    with pytest.raises(ConfigError) as e:
        convnets.create_model(name, **{option: value})
    assert expected in str(e.value)


def test_too_small_input_names_the_layer_and_the_smallest_size():
    with pytest.raises(ConfigError) as e:
        convnets.create_model("lenet5", input_shape=(28, 28, 1))
    assert "C5" in str(e.value) and "smallest input it takes is 32x32x1" in str(e.value)
    with pytest.raises(ConfigError) as e:
        convnets.create_model("resnet50", input_shape=(1, 1, 1))
    # conv1 (stride 2) would "downsample" a 1x1 map; 17 is the smallest side every stride-2 layer can halve.
    assert "conv1/conv sees 1x1" in str(e.value) and "smallest input it takes is 17x17x1" in str(e.value)


def test_duplicate_registration_refused():
    with pytest.raises(ValueError, match="already registered"):
        register(convnets.model_info("lenet5").family)(convnets.model_info("lenet5").builder)


@pytest.mark.parametrize("bad,message", [
    (np.zeros((32, 32, 1), "float32"), "add the batch axis with x[None]"),
    (np.zeros((2, 32, 32, 3), "float32"), "built for 1-channel input, got 3 channels"),
    (np.zeros((2, 28, 28, 1), "float32"), "built for 32x32x1 inputs, got 28x28x1"),
    (np.zeros((2, 32, 32, 1), "uint8"), "expects float images, got dtype uint8"),
    (np.zeros((2, 32, 32, 1, 1), "float32"), "expects a 4-D batch"),
    ("an image", "expects a batch of images"),
    (np.zeros((0, 32, 32, 1), "float32"), "empty batch"),
    (np.zeros((2, 1, 32, 32), "float32"), "looks like channels-first"),
])
def test_models_check_their_input_before_any_op(bad, message):
    """An unbatched image used to abort the process inside oneDNN; 3 channels ran as a grouped conv."""
    model = convnets.create_model("lenet5")
    with pytest.raises(InputError) as e:
        model(bad)
    assert message in str(e.value)
    fn = tf.function(lambda x: model(x))
    with pytest.raises(InputError):  # traced graphs check the static shape too
        fn(tf.zeros((2, 28, 28, 1)))
    assert model(np.zeros((2, 32, 32, 1), "float64")).shape == (2, 10)  # float64 is a float: accepted


def test_other_api_mistakes_are_our_errors(tmp_path):
    with pytest.raises(InputError, match="training must be True or False"):
        convnets.create_model("lenet5")(np.zeros((1, 32, 32, 1), "float32"), training="yes")
    with pytest.raises(ConfigError, match="pattern must be"):
        convnets.list_models(3)
    with pytest.raises(ConfigError, match="summarize expects a model"):
        convnets.summarize("lenet5")
    with pytest.raises(ConfigError, match="model name must be a string"):
        convnets.create_model(None)
    with pytest.raises(ConfigError, match="growth_rate must be >= 1"):
        convnets.create_model("densenet_mini", growth_rate=0)
    with pytest.raises(ConfigError, match="from_keras expects a keras.applications model"):
        convnets.from_keras("vgg16")
    (tmp_path / "file").write_text("x")
    with pytest.raises(convnets.ConvnetsError, match="is a file, not a run directory"):
        convnets.load_run(tmp_path / "file")
