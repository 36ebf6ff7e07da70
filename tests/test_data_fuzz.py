"""Property-based tests: the IDX and CIFAR parsers, fed random and mutated bytes,
either parse correctly or raise our ``DataError``; never crash or hang."""

from __future__ import annotations

import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from convnets.data.cifar import parse_cifar
from convnets.data.idx import parse_idx
from convnets.errors import DataError


def valid_idx(shape: tuple[int, ...]) -> bytes:
    arr = np.arange(int(np.prod(shape)), dtype=np.uint8).reshape(shape)
    return bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + arr.tobytes()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_idx_random_bytes(data):
    try:
        arr = parse_idx(data)
    except DataError:
        return
    assert arr.size * arr.dtype.itemsize == len(data) - 4 - 4 * arr.ndim


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.lists(st.tuples(st.integers(0, 63), st.integers(0, 255)), max_size=4),
    st.integers(-8, 8),
)
def test_idx_mutated(shape, flips, cut):
    data = bytearray(valid_idx(tuple(shape)))
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    if cut < 0:
        data = data[:cut]
    elif cut > 0:
        data += bytes(cut)
    try:
        arr = parse_idx(bytes(data))
    except DataError:
        return
    assert arr.size * arr.dtype.itemsize == len(data) - 4 - 4 * arr.ndim


def test_idx_huge_header_does_not_allocate():
    # A header claiming 2^32-1 items per axis must fail fast on the length check.
    data = bytes([0, 0, 8, 3]) + struct.pack(">3I", 2**32 - 1, 2**32 - 1, 2**32 - 1) + b"\x00" * 10
    try:
        parse_idx(data)
    except DataError as e:
        assert "header says shape" in str(e)
    else:
        raise AssertionError("accepted an impossible header")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=7000), st.sampled_from([(1, 10), (2, 100)]))
def test_cifar_random_bytes(data, layout):
    label_bytes, classes = layout
    try:
        x, y = parse_cifar(data, label_bytes, classes)
    except DataError:
        return
    assert x.shape == (len(data) // (label_bytes + 3072), 32, 32, 3)
    assert y.max() < classes
