"""Data sets by name: where their files are looked for, how they are read, and
their normalisation constants.

A *data root* holds one folder per data set, laid out like ``../shared/data``::

    ROOT/mnist/train-images-idx3-ubyte.gz ...      (canonical IDX .gz, or unzipped)
    ROOT/fashion-mnist/...                          (same four names)
    ROOT/cifar10/cifar-10-batches-bin/data_batch_1.bin ... test_batch.bin
    ROOT/cifar100/cifar-100-binary/train.bin, test.bin

Roots are searched in order: ``--data-dir``, ``$CONVNETS_DATA_DIR``, the cache
(``$CONVNETS_CACHE_DIR`` or ``~/.cache/convnets``), then ``/usr/share/datasets``
(Debian's ``dataset-fashion-mnist`` package). If the files are nowhere, they are
downloaded into the cache from the canonical source and checked by SHA-256.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from convnets.data import cifar, digits, download, folder, idx
from convnets.errors import DataError

# In-memory decode of image folders up to this many bytes; beyond, stream from files.
MEMORY_BUDGET_BYTES = 4 << 30


@dataclass
class Split:
    """One split: decoded uint8 images (N, H, W, C) in memory, or file paths to stream."""

    labels: np.ndarray
    images: np.ndarray | None = None
    files: list[str] | None = None

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class Dataset:
    """A loaded data set: two splits plus what a pipeline needs to prepare them."""

    name: str
    train: Split
    test: Split
    class_names: list[str]
    image_shape: tuple[int, int, int]
    mean: tuple[float, ...]  # per channel, on the 0..1 scale
    std: tuple[float, ...]
    pad_to_fit: bool = False  # centre in a larger field instead of resizing (MNIST -> 32x32)
    source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def subset(self, train: int | None = None, test: int | None = None, seed: int = 0) -> "Dataset":
        """A random ``train``/``test``-image sample of each split (for quick experiments and
        notebooks); the same seed gives the same sample."""
        rng = np.random.default_rng(seed)

        def take(split: Split, n: int | None) -> Split:
            if n is None or n >= len(split):
                return split
            idx = np.sort(rng.choice(len(split), n, replace=False))
            return Split(split.labels[idx], None if split.images is None else split.images[idx],
                         None if split.files is None else [split.files[i] for i in idx])

        return replace(self, train=take(self.train, train), test=take(self.test, test),
                       notes=[*self.notes, f"subset: {train} train / {test} test images, seed {seed}"])

    def hold_out(self, fraction: float, seed: int = 0) -> tuple["Dataset", Split]:
        """Set a seeded random ``fraction`` of the training images aside for validation.

        Returns (this data set with the rest as its training split, the held-out
        split). Each class gives the same share (stratified), both keep the files'
        order, and they never share an image; the same fraction and seed always give
        the same split, so a resumed run validates on the same images.
        """
        if not 0.0 < fraction < 1.0:
            raise DataError(f"a validation fraction must be between 0 and 1, got {fraction}")
        rng = np.random.default_rng(seed)
        labels = self.train.labels
        held = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[: round(fraction * np.sum(labels == c))]
                               for c in np.unique(labels)]).astype(np.int64)
        mask = np.zeros(len(labels), bool)
        mask[held] = True
        if mask.all() or not mask.any():
            raise DataError(f"{self.name}: holding out {fraction:g} of {len(labels)} training images leaves "
                            f"{'no training' if mask.all() else 'no validation'} images")

        def take(idx: np.ndarray) -> Split:
            s = self.train
            return Split(s.labels[idx], None if s.images is None else s.images[idx],
                         None if s.files is None else [s.files[i] for i in idx])

        kept, held = np.flatnonzero(~mask), np.flatnonzero(mask)
        rest = replace(self, train=take(kept), notes=[*self.notes, f"{len(held)} training images held out for "
                                                                   f"validation ({fraction:g}, seed {seed})"])
        return rest, take(held)


def cache_root() -> Path:
    return Path(os.environ.get("CONVNETS_CACHE_DIR") or Path.home() / ".cache" / "convnets")


def data_roots(data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """The roots searched for data files, in order."""
    roots: list[Path] = []
    if data_dir is not None:
        d = Path(data_dir).expanduser()
        if not d.is_dir():
            raise DataError(f"data directory {d} does not exist or is not a folder")
        roots.append(d)
    env = os.environ.get("CONVNETS_DATA_DIR")
    if env:
        roots.append(Path(env).expanduser())
    roots += [cache_root(), Path("/usr/share/datasets")]
    return roots


# --- MNIST family -------------------------------------------------------------

@dataclass(frozen=True)
class IdxSource:
    folders: tuple[str, ...]
    urls: tuple[str, ...]  # base URLs, canonical first
    sha256: dict[str, str]  # of the canonical .gz downloads
    mean: float
    std: float
    class_names: tuple[str, ...]


IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

IDX_SOURCES = {
    "mnist": IdxSource(
        folders=("mnist", "MNIST"),
        urls=("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        sha256={
            "train-images-idx3-ubyte": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
        mean=0.1307, std=0.3081,
        class_names=tuple(str(i) for i in range(10)),
    ),
    "fashion_mnist": IdxSource(
        folders=("fashion-mnist", "fashion_mnist"),
        urls=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        sha256={
            "train-images-idx3-ubyte": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
        mean=0.2860, std=0.3530,
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    ),
}


def _find_idx(src: IdxSource, roots: list[Path]) -> Path | None:
    for root in roots:
        for name in src.folders:
            d = root / name
            if all((d / f"{f}.gz").is_file() or (d / f).is_file() for f in IDX_FILES):
                return d
    return None


def _idx_path(d: Path, f: str) -> str:
    return os.fspath(d / f"{f}.gz") if (d / f"{f}.gz").is_file() else os.fspath(d / f)


def _not_found(what: str, looked: list[Path], layout: str, err: DataError | None) -> DataError:
    where = ", ".join(str(p) for p in looked)
    why = f" Download failed: {err}." if err else ""
    return DataError(
        f"{what} not found (looked in {where}).{why} Put the files in DIR/{layout} and pass "
        f"--data-dir DIR or set CONVNETS_DATA_DIR=DIR"
    )


def load_idx_dataset(name: str, data_dir: str | None = None, allow_download: bool = True) -> Dataset:
    src = IDX_SOURCES[name]
    roots = data_roots(data_dir)
    d = _find_idx(src, roots)
    if d is None:
        err = None
        if allow_download:
            d = cache_root() / src.folders[0]
            try:
                for f in IDX_FILES:
                    download.download([u + f + ".gz" for u in src.urls], d / f"{f}.gz", src.sha256[f])
            except DataError as e:
                d, err = None, e
        if d is None:
            looked = [r / src.folders[0] for r in roots]
            raise _not_found(name, looked, f"{src.folders[0]}/{IDX_FILES[0]}.gz (and the other 3 files)", err)
    x_tr, y_tr = idx.read_idx_pair(_idx_path(d, IDX_FILES[0]), _idx_path(d, IDX_FILES[1]))
    x_te, y_te = idx.read_idx_pair(_idx_path(d, IDX_FILES[2]), _idx_path(d, IDX_FILES[3]))
    for y, f in ((y_tr, IDX_FILES[1]), (y_te, IDX_FILES[3])):
        if y.min() < 0 or y.max() >= len(src.class_names):
            raise DataError(f"{d / f}: labels must be 0..{len(src.class_names) - 1}, found {y.min()}..{y.max()}")
    return Dataset(
        name, Split(y_tr, x_tr), Split(y_te, x_te), list(src.class_names), x_tr.shape[1:],
        (src.mean,), (src.std,), pad_to_fit=True, source=str(d),
    )


# --- CIFAR (binary version) ---------------------------------------------------

CIFAR_SOURCES = {
    "cifar10": dict(
        folders=("cifar10", "cifar-10"), subdir="cifar-10-batches-bin",
        train=[f"data_batch_{i}.bin" for i in range(1, 6)], test=["test_batch.bin"],
        url="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
        sha256="c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
        label_bytes=1, mean=(0.4914, 0.4822, 0.4465), std=(0.2470, 0.2435, 0.2616),
        class_names=["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
    ),
    "cifar100": dict(
        folders=("cifar100", "cifar-100"), subdir="cifar-100-binary",
        train=["train.bin"], test=["test.bin"],
        url="https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
        sha256="58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec",
        label_bytes=2, mean=(0.5071, 0.4865, 0.4409), std=(0.2673, 0.2564, 0.2762),
        class_names=[f"class_{i}" for i in range(100)],  # fine_label_names.txt replaces these if present
    ),
}


def load_cifar_dataset(name: str, data_dir: str | None = None, allow_download: bool = True) -> Dataset:
    src = CIFAR_SOURCES[name]
    roots = data_roots(data_dir)
    candidates = (d for root in roots for f in src["folders"] for d in (root / f / src["subdir"], root / f))
    found = next((d for d in candidates if all((d / b).is_file() for b in src["train"] + src["test"])), None)
    if found is None:
        err = None
        if allow_download:
            target = cache_root() / src["folders"][0]
            try:
                archive = download.download([src["url"]], target / Path(src["url"]).name, src["sha256"])
                download.safe_extract(archive, target)
                found = target / src["subdir"]
            except DataError as e:
                err = e
        if found is None:
            looked = [r / src["folders"][0] for r in roots]
            raise _not_found(name, looked, f"{src['folders'][0]}/{src['subdir']}/{src['test'][0]} (binary version)", err)
    n = len(src["class_names"])
    x_tr, y_tr = cifar.read_cifar([os.fspath(found / b) for b in src["train"]], src["label_bytes"], n)
    x_te, y_te = cifar.read_cifar([os.fspath(found / b) for b in src["test"]], src["label_bytes"], n)
    names = list(src["class_names"])
    for meta in ("batches.meta.txt", "fine_label_names.txt"):
        p = found / meta
        if p.is_file():
            lines = [s.strip() for s in p.read_text().splitlines() if s.strip()]
            if len(lines) == n:
                names = lines
    return Dataset(name, Split(y_tr, x_tr), Split(y_te, x_te), names, (32, 32, 3), src["mean"], src["std"], source=str(found))


# --- digits and image folders -------------------------------------------------

def load_digits_dataset() -> Dataset:
    (x_tr, y_tr), (x_te, y_te) = digits.load_digits_arrays()
    mean, std = float(x_tr.mean() / 255.0), float(x_tr.std() / 255.0)
    return Dataset(
        "digits", Split(y_tr, x_tr), Split(y_te, x_te), [str(i) for i in range(10)], (8, 8, 1),
        (mean,), (std,), source="sklearn.datasets.load_digits",
    )


def load_folder_dataset(path: str, data_dir: str | None = None) -> Dataset:
    root = Path(path).expanduser()
    if not root.is_absolute() and not root.exists() and data_dir is not None:
        root = Path(data_dir) / root  # "folder:cifar10-jpeg" relative to the data dir
    ignored: list[str] = []  # files without an image extension
    (tr_files, tr_y), (te_files, te_y), classes = folder.scan_folder(root, ignored=ignored)
    tr_files, tr_y, tr_bad = folder.split_images(tr_files, tr_y)
    te_files, te_y, te_bad = folder.split_images(te_files, te_y)
    folder.report_skipped(sorted(ignored + tr_bad + te_bad), root)  # one line for the whole folder
    if not tr_files:
        raise DataError(f"{root}: no readable training images")
    if not te_files:  # training evaluates on it every epoch, evaluate and export on it too
        raise DataError(f"{root}: no test images: with only class folders, a fifth of each class's images (none "
                        "of a class with one) are the test set; add images, or give it train/ and test/ folders")
    shape = folder.probe_shape(tr_files)
    n_bytes = (len(tr_files) + len(te_files)) * int(np.prod(shape))
    if n_bytes <= MEMORY_BUDGET_BYTES:
        x_tr, tr_y = folder.decode_all(tr_files, tr_y, shape, root)
        if te_files:
            x_te, te_y = folder.decode_all(te_files, te_y, shape, root)
        else:
            x_te = np.zeros((0, *shape), np.uint8)
        sample = x_tr[:: max(1, len(x_tr) // 5000)].astype(np.float32) / 255.0
        mean = tuple(float(m) for m in sample.mean(axis=(0, 1, 2)))
        std = tuple(float(s) for s in sample.std(axis=(0, 1, 2)))
        train, test = Split(tr_y, x_tr), Split(te_y, x_te)
    else:
        # Too large for memory: stream from files every epoch (ImageNet-style statistics).
        mean, std = (0.485, 0.456, 0.406)[: shape[2]], (0.229, 0.224, 0.225)[: shape[2]]
        train, test = Split(tr_y, files=tr_files), Split(te_y, files=te_files)
    return Dataset(f"folder:{root}", train, test, classes, shape, mean, std, source=str(root))


DATASET_NAMES = ("digits", "mnist", "fashion_mnist", "cifar10", "cifar100", "folder:PATH")


def load_dataset(name: str, data_dir: str | None = None, allow_download: bool = True) -> Dataset:
    """Load a data set by name (see ``DATASET_NAMES``).

    Raises:
      DataError: files missing or malformed, or an unknown name.
    """
    key = name.replace("-", "_").lower()
    if data_dir is not None:
        data_roots(data_dir)  # a missing --data-dir is an error even for digits
    if key == "digits":
        return load_digits_dataset()
    if key in IDX_SOURCES:
        return load_idx_dataset(key, data_dir, allow_download)
    if key in CIFAR_SOURCES:
        return load_cifar_dataset(key, data_dir, allow_download)
    if name.startswith("folder:"):
        return load_folder_dataset(name[len("folder:"):], data_dir)
    raise DataError(f"unknown data set {name!r}; expected one of {', '.join(DATASET_NAMES)}")
