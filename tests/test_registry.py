"""The registry and create_model's argument checking."""

from __future__ import annotations

import pytest

import convnets
from convnets.errors import ConfigError
from convnets.models.registry import parse_input_shape, register


def test_list_and_create():
    assert {"lenet5", "lenet5_modern"} <= set(convnets.list_models())
    assert convnets.list_models("lenet5_m*") == ["lenet5_modern"]
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


@pytest.mark.parametrize("bad", ["32,32", "a,b,c", "0,32,1", [1, 2, 3, 4]])
def test_bad_input_shape(bad):
    with pytest.raises(ConfigError, match="input shape"):
        parse_input_shape(bad)


def test_too_small_input_is_a_clear_error():
    with pytest.raises(ConfigError, match="too small"):
        convnets.create_model("lenet5", input_shape=(8, 8, 1))


def test_duplicate_registration_refused():
    with pytest.raises(ValueError, match="already registered"):
        register("lenet5", family="lenet", input_shape=(32, 32, 1))(lambda **k: None)
