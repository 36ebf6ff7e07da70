"""Loaders: IDX, CIFAR binary, image folders, digits, downloads, archives, pipelines."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from convnets.data import PreprocessSpec, load_dataset, make_dataset, preprocess
from convnets.data.cifar import parse_cifar
from convnets.data.download import download, safe_extract
from convnets.data.idx import parse_idx, read_idx, read_idx_pair
from convnets.errors import DataError


def idx_bytes(arr: np.ndarray) -> bytes:
    return bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.astype(np.uint8).tobytes()


def write_mnist(root: Path, n_train=20, n_test=10, folder="mnist", corrupt: str | None = None) -> Path:
    d = root / folder
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        (d / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
        (d / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    if corrupt == "truncated":
        p = d / "train-images-idx3-ubyte.gz"
        p.write_bytes(p.read_bytes()[:100])
    return d


# --- IDX -----------------------------------------------------------------------

def test_idx_round_trip(tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    p = tmp_path / "a.gz"
    p.write_bytes(gzip.compress(idx_bytes(a)))
    np.testing.assert_array_equal(read_idx(p), a)
    (tmp_path / "raw").write_bytes(idx_bytes(a))
    np.testing.assert_array_equal(read_idx(tmp_path / "raw"), a)


@pytest.mark.parametrize(
    "data,match",
    [
        (b"\x00\x00", "too short"),
        (b"\x12\x34\x08\x01" + b"\x00" * 8, "not an IDX file"),
        (b"\x00\x00\x08\x09" + b"\x00" * 8, "dimensions"),
        (bytes([0, 0, 8, 2]) + struct.pack(">2I", 3, 3) + b"\x00" * 8, "holds 8 data bytes"),
        (bytes([0, 0, 8, 3]) + b"\x00" * 4, "truncated IDX header"),
    ],
)
def test_idx_malformed(data, match):
    with pytest.raises(DataError, match=match):
        parse_idx(data, "x.idx")


def test_idx_corrupt_gzip_names_file(tmp_path):
    p = tmp_path / "train-images-idx3-ubyte.gz"
    p.write_bytes(gzip.compress(idx_bytes(np.zeros((5, 28, 28), np.uint8)))[:40])
    with pytest.raises(DataError, match=f"{p}.*corrupt or truncated gzip"):
        read_idx(p)


def test_idx_pair_length_mismatch(tmp_path):
    (tmp_path / "i").write_bytes(idx_bytes(np.zeros((5, 28, 28), np.uint8)))
    (tmp_path / "l").write_bytes(idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(DataError, match="5 images but .* 4 labels"):
        read_idx_pair(str(tmp_path / "i"), str(tmp_path / "l"))


# --- CIFAR binary --------------------------------------------------------------

def cifar_record(label: int, value: int = 0, label_bytes: int = 1) -> bytes:
    return bytes([0] * (label_bytes - 1) + [label]) + bytes([value]) * 3072


def test_cifar_parse_layout():
    # R plane 1, G plane 2, B plane 3 -> pixel (0, 0) is (1, 2, 3).
    rec = bytes([7]) + bytes([1]) * 1024 + bytes([2]) * 1024 + bytes([3]) * 1024
    x, y = parse_cifar(rec * 2, 1, 10)
    assert x.shape == (2, 32, 32, 3) and y.tolist() == [7, 7]
    assert x[0, 5, 9].tolist() == [1, 2, 3]


def test_cifar100_fine_label_and_errors():
    x, y = parse_cifar(bytes([3, 42]) + bytes(3072), 2, 100)
    assert y.tolist() == [42]
    with pytest.raises(DataError, match="not a multiple of the 3,073-byte record"):
        parse_cifar(cifar_record(1)[:-1], 1, 10)
    with pytest.raises(DataError, match="record 1 has label 12, expected 0..9"):
        parse_cifar(cifar_record(1) + cifar_record(12), 1, 10)


def test_cifar10_from_data_root(tmp_path):
    d = tmp_path / "cifar10" / "cifar-10-batches-bin"
    d.mkdir(parents=True)
    for i in range(1, 6):
        (d / f"data_batch_{i}.bin").write_bytes(cifar_record(i) * 3)
    (d / "test_batch.bin").write_bytes(cifar_record(9) * 2)
    ds = load_dataset("cifar10", str(tmp_path))
    assert len(ds.train) == 15 and len(ds.test) == 2 and ds.image_shape == (32, 32, 3)
    assert ds.class_names[0] == "airplane"


# --- data roots and missing files ---------------------------------------------

def test_missing_files_error_says_where_it_looked(tmp_path):
    with pytest.raises(DataError) as e:
        load_dataset("mnist", str(tmp_path))
    msg = str(e.value)
    assert str(tmp_path / "mnist") in msg and "CONVNETS_DATA_DIR" in msg and "--data-dir" in msg


def test_missing_data_dir(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("mnist", str(tmp_path / "nope"))


def test_unknown_dataset():
    with pytest.raises(DataError, match="unknown data set 'imagenet'"):
        load_dataset("imagenet")


def test_env_var_root_and_truncated_file(tmp_path, monkeypatch):
    write_mnist(tmp_path)
    monkeypatch.setenv("CONVNETS_DATA_DIR", str(tmp_path))
    ds = load_dataset("mnist")
    assert len(ds.train) == 20 and ds.pad_to_fit
    write_mnist(tmp_path, corrupt="truncated")
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz"):
        load_dataset("mnist")


# --- downloads and archives ----------------------------------------------------

def test_download_verifies_checksum_and_is_atomic(tmp_path, monkeypatch):
    monkeypatch.delenv("CONVNETS_NO_DOWNLOAD")
    src = tmp_path / "src.bin"
    src.write_bytes(b"hello world")
    good = hashlib.sha256(b"hello world").hexdigest()
    dest = tmp_path / "cache" / "file.bin"
    assert download([src.as_uri()], dest, good).read_bytes() == b"hello world"
    dest.unlink()
    with pytest.raises(DataError, match="does not match the expected"):
        download([src.as_uri()], dest, "0" * 64)
    assert not dest.exists()
    assert not [p for p in dest.parent.iterdir() if p.suffix == ".part"]


def test_download_disabled_offline(tmp_path):
    with pytest.raises(DataError, match="downloads are disabled"):
        download(["http://example.invalid/x"], tmp_path / "x", "0" * 64)


def make_tar(path: Path, members: list[tarfile.TarInfo]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for m in members:
            data = b"x" if m.isfile() else None
            if data is not None:
                m.size = 1
            tar.addfile(m, io.BytesIO(data) if data is not None else None)
    return path


@pytest.mark.parametrize("name,kind", [("../evil.txt", tarfile.REGTYPE), ("/tmp/abs_evil.txt", tarfile.REGTYPE), ("link", tarfile.SYMTYPE)])
def test_safe_extract_refuses_escapes(tmp_path, name, kind):
    m = tarfile.TarInfo(name)
    m.type = kind
    if kind == tarfile.SYMTYPE:
        m.linkname = "/etc/passwd"
    arch = make_tar(tmp_path / "a.tar.gz", [m])
    with pytest.raises(DataError, match="outside|link or special"):
        safe_extract(arch, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/abs_evil.txt").exists()


def test_safe_extract_normal(tmp_path):
    m = tarfile.TarInfo("dir/file.bin")
    arch = make_tar(tmp_path / "a.tar.gz", [m])
    safe_extract(arch, tmp_path / "out")
    assert (tmp_path / "out" / "dir" / "file.bin").read_bytes() == b"x"


# --- image folders -------------------------------------------------------------

def write_png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(array).numpy())


def test_folder_mixed_images_and_corrupt_file(tmp_path, caplog):
    rng = np.random.default_rng(0)
    write_png(tmp_path / "cats" / "a.png", rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))
    write_png(tmp_path / "cats" / "b.png", rng.integers(0, 255, (20, 12, 4), dtype=np.uint8))  # RGBA, other size
    write_png(tmp_path / "cats" / "c.png", rng.integers(0, 255, (16, 16, 1), dtype=np.uint8))  # grey
    write_png(tmp_path / "dogs" / "d.png", rng.integers(0, 65535, (16, 16, 3), dtype=np.uint16))  # 16-bit
    (tmp_path / "dogs" / "e.jpg").write_bytes(tf.io.encode_jpeg(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).numpy())
    (tmp_path / "dogs" / "broken.png").write_bytes(b"not an image at all")
    (tmp_path / "dogs" / "notes.txt").write_text("not an image either")
    (tmp_path / "dogs" / ".DS_Store").write_bytes(b"hidden files are passed over silently")
    with caplog.at_level("WARNING", logger="convnets"):
        ds = load_dataset(f"folder:{tmp_path}")
    # one line for the folder, with the count and the first file, not a Python warning per file
    assert [r.getMessage() for r in caplog.records] == [
        f"skipped 2 files that are not PNG, JPEG, GIF or BMP images in {tmp_path} (first: dogs/broken.png)"]
    assert ds.class_names == ["cats", "dogs"]
    assert ds.image_shape == (16, 16, 3)
    assert len(ds.train) + len(ds.test) == 5
    assert ds.train.images.shape[1:] == (16, 16, 3)


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(f"folder:{tmp_path / 'nope'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no class folders"):
        load_dataset(f"folder:{tmp_path / 'empty'}")
    (tmp_path / "one" / "cls").mkdir(parents=True)
    with pytest.raises(DataError, match="holds no images"):
        load_dataset(f"folder:{tmp_path / 'one'}")


# --- digits and pipelines ------------------------------------------------------

def test_digits_fixed_split():
    ds = load_dataset("digits")
    assert len(ds.train) == 1437 and len(ds.test) == 360 and ds.num_classes == 10
    again = load_dataset("digits")
    np.testing.assert_array_equal(ds.test.labels, again.test.labels)


def test_preprocess_pads_mnist_into_32x32_centre():
    spec = PreprocessSpec((28, 28, 1), (32, 32, 1), (0.0,), (1.0,), pad_to_fit=True)
    x = np.full((1, 28, 28, 1), 255, np.uint8)
    y = preprocess(x, spec).numpy()[0, ..., 0]
    assert y.shape == (32, 32)
    assert y[2:30, 2:30].min() == 1.0 and y[:2].max() == 0.0 and y[:, 30:].max() == 0.0


def test_preprocess_resize_normalise_and_channels():
    spec = PreprocessSpec((8, 8, 1), (32, 32, 3), (0.5,), (0.25,))
    y = preprocess(np.full((2, 8, 8, 1), 255, np.uint8), spec).numpy()
    assert y.shape == (2, 32, 32, 3)
    np.testing.assert_allclose(y, 2.0, atol=1e-5)  # (1 - 0.5) / 0.25


def test_pipeline_order_depends_only_on_seed_and_epoch():
    ds = load_dataset("digits")
    spec = PreprocessSpec.for_dataset(ds, (8, 8, 1))
    first = lambda s, e: next(iter(make_dataset(ds, "train", spec, 32, True, s, e)))[1].numpy()  # noqa: E731
    np.testing.assert_array_equal(first(0, 3), first(0, 3))
    assert not np.array_equal(first(0, 3), first(0, 4))
    batches = list(make_dataset(ds, "test", spec, 100))
    assert [len(b[1]) for b in batches] == [100, 100, 100, 60]


def test_real_mnist(data_dir):
    ds = load_dataset("mnist", str(data_dir))
    assert ds.train.images.shape == (60000, 28, 28, 1) and len(ds.test) == 10000
    assert ds.train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert ds.train.images.mean() / 255 == pytest.approx(0.1307, abs=1e-3)


def test_real_fashion_and_cifar_folder(data_dir):
    ds = load_dataset("fashion_mnist", str(data_dir))
    assert len(ds.train) == 60000 and ds.class_names[9] == "Ankle boot"
    cifar = data_dir / "cifar10-jpeg"
    assert sorted(os.listdir(cifar / "train")) == sorted(os.listdir(cifar / "test"))


def test_folder_larger_than_memory_budget_streams_from_files(tmp_path, monkeypatch):
    from convnets.data import datasets

    rng = np.random.default_rng(1)
    for c in ("a", "b"):
        for i in range(6):
            write_png(tmp_path / c / f"{i}.png", rng.integers(0, 255, (12, 12, 3), dtype=np.uint8))
    (tmp_path / "b" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")  # right magic, undecodable
    monkeypatch.setattr(datasets, "MEMORY_BUDGET_BYTES", 100)  # far below the 12 images' 5 KiB
    ds = load_dataset(f"folder:{tmp_path}")
    assert ds.train.images is None and ds.train.files is not None
    spec = PreprocessSpec.for_dataset(ds, (12, 12, 3))
    seen = sum(len(y) for _, y in make_dataset(ds, "train", spec, 4, training=True))
    assert seen == len(ds.train.files) - sum(f.endswith("bad.png") for f in ds.train.files)


def test_subset_is_a_reproducible_sample():
    from convnets.data import load_dataset

    ds = load_dataset("digits")
    a, b = ds.subset(100, 50, seed=1), ds.subset(100, 50, seed=1)
    assert len(a.train) == 100 and len(a.test) == 50 and a.train.images.shape[1:] == ds.image_shape
    np.testing.assert_array_equal(a.train.labels, b.train.labels)
    assert len(set(a.train.labels.tolist())) == 10  # a random sample, not the first 100
    assert ds.subset(None, None).train is ds.train


def test_random_crops_are_windows_of_the_padded_image_each_at_its_own_offset():
    from convnets.data.pipeline import random_crops

    x = tf.random.stateless_uniform((64, 32, 32, 3), seed=(3, 4))
    seed = tf.constant([7, 8], tf.int64)
    crops = random_crops(x, 4, seed).numpy()
    assert crops.shape == (64, 32, 32, 3)
    padded = np.pad(x.numpy(), [(0, 0), (4, 4), (4, 4), (0, 0)])
    offsets = []
    for i in range(64):
        found = [(a, b) for a in range(9) for b in range(9) if np.array_equal(crops[i], padded[i, a:a + 32, b:b + 32])]
        assert found, f"image {i} is not a 32x32 window of its padded self"
        offsets.append(found[0])
    assert len(set(offsets)) > 20  # 81 offsets possible: each image draws its own
    np.testing.assert_array_equal(crops, random_crops(x, 4, seed).numpy())  # the seed decides
    assert not np.array_equal(crops, random_crops(x, 4, seed + 1).numpy())


def test_crop_pixels_bounds_the_shift():
    from convnets.data.pipeline import augment

    x = tf.random.stateless_uniform((32, 16, 16, 1), seed=(5, 6))
    crops = augment(x, "crop", tf.constant([1, 2], tf.int64), crop_pixels=2).numpy()
    padded = np.pad(x.numpy(), [(0, 0), (2, 2), (2, 2), (0, 0)])
    for i in range(32):  # every crop is one of the 5x5 windows of a 2-pixel padding, none shifted further
        assert any(np.array_equal(crops[i], padded[i, a:a + 16, b:b + 16]) for a in range(5) for b in range(5))


def test_alternating_flips_mirror_each_image_the_other_way_in_the_next_epoch():
    from convnets.data.pipeline import PreprocessSpec, alternating_flips, make_dataset

    even, odd, next_even = (alternating_flips(1000, 3, e).numpy() for e in (0, 1, 2))
    assert 400 < even.sum() < 600  # half the images, at random
    np.testing.assert_array_equal(odd, ~even)
    np.testing.assert_array_equal(next_even, even)
    assert not np.array_equal(even, alternating_flips(1000, 4, 0).numpy())  # the seed decides

    # Through the pipeline, whatever the order: image i is black but for pixel (0, 0) at value i + 1, so its
    # brightest value names it and that pixel's column (0 or 7) says whether it came out mirrored.
    from convnets.data.datasets import Dataset, Split

    images = np.zeros((64, 8, 8, 1), np.uint8)
    images[:, 0, 0, 0] = np.arange(1, 65)
    split = Split(np.arange(64) % 10, images)
    ds = Dataset("marks", split, split, [str(c) for c in range(10)], (8, 8, 1), (0.0,), (1.0,))
    spec = PreprocessSpec.for_dataset(ds, (8, 8, 1))
    mirrored = []
    for epoch in (0, 1):
        (x, _), = make_dataset(ds, "train", spec, 64, True, seed=1, epoch=epoch, augmentation="altflip").take(1)
        top = x.numpy()[:, 0, :, 0]  # (64, 8): each image's first row
        names = np.rint(top.max(axis=1) * 255).astype(int) - 1
        mirrored.append(dict(zip(names.tolist(), (top.argmax(axis=1) == 7).tolist())))
    assert sorted(mirrored[0]) == sorted(mirrored[1]) == list(range(64))  # every image once per epoch
    assert all(mirrored[0][i] != mirrored[1][i] for i in range(64))  # each the other way round in epoch 1
    assert 10 < sum(mirrored[0].values()) < 54
