"""The documentation as a static site (mkdocs.yml): it builds with ``mkdocs build --strict``, holds every page a
reader is sent to (the home page, each architecture page, each notebook), and its home page shows its pictures in a
real browser (headless Chromium, through Playwright).

The site is built once, into a temporary folder, by a module fixture; the xdist group keeps this module's tests on
one worker, so it is built once per run. Without the ``[docs]`` extra (mkdocs, mkdocs-material, playwright) or
Chromium (Debian's ``chromium``) the tests skip, except in CI, which installs both."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REPO, extra_or_skip

pytestmark = pytest.mark.xdist_group("site")

DOCS = REPO / "docs"
NOTEBOOKS = REPO / "notebooks"
CHROMIUM = os.environ.get("CONVNETS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.srcs.append(dict(attrs).get("src") or "")


def _page(site: Path, path: str) -> Path:
    """A page's file in the built site (use_directory_urls: architectures/lenet.md -> architectures/lenet/index.html)."""
    stem = path.removesuffix(".md")
    return site / ("index.html" if stem == "index" else f"{stem}/index.html")


def _index_heading() -> str:
    return DOCS.joinpath("index.md").read_text().splitlines()[0].removeprefix("# ").strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    extra_or_skip("mkdocs", "material")
    out = tmp_path_factory.mktemp("site") / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    print(f"site built in {time.perf_counter() - start:.1f} s")
    return out


def test_site_has_every_page(site):
    assert (site / "index.html").is_file()
    for md in ["models.md", "results.md", "benchmarks.md", "time_to_accuracy.md"]:
        assert _page(site, md).is_file(), md
    architectures = sorted(DOCS.glob("architectures/*.md"))
    assert architectures
    for md in architectures:
        assert _page(site, md.relative_to(DOCS).as_posix()).is_file(), md.name
    # the prose the architecture pages are pasted from is no page of its own
    assert not (site / "prose").exists()


def test_site_has_every_notebook(site):
    """Each notebooks/**/*.ipynb (found by the hook's glob, so a new one needs no list) is a page: its heading and
    its code cells, highlighted, not run."""
    notebooks = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    assert notebooks
    for nb in notebooks:
        rel = nb.relative_to(NOTEBOOKS).with_suffix("").as_posix()
        page = site / "notebooks" / rel / "index.html"
        assert page.is_file(), f"{nb.relative_to(REPO)} has no page in the site"
        html = page.read_text()
        cells = json.loads(nb.read_text())["cells"]
        assert "<h1" in html, f"{rel}: no heading"
        if any(c["cell_type"] == "code" and "".join(c["source"]).strip() for c in cells):
            assert '<div class="highlight"><pre>' in html, f"{rel}: its code cells are not on the page"


def test_index_images_resolve(site):
    index = site / "index.html"
    parser = _Images()
    parser.feed(index.read_text())
    srcs = [s for s in parser.srcs if s]
    assert srcs, "the home page shows no picture"
    for src in srcs:
        url = urlsplit(src)
        assert not url.scheme and not url.netloc, f"{src}: the site loads pictures from its own files only"
        target = (index.parent / unquote(url.path)).resolve()
        assert target.is_file() and target.is_relative_to(site.resolve()), f"<img src={src!r}> is not in the site"


def test_nav_follows_the_learning_path():
    """mkdocs.yml's Learning path lists the architecture pages in the index's order (the --strict build's
    omitted_files check already fails on a page left out of the nav)."""
    extra_or_skip("yaml")  # PyYAML comes with mkdocs
    import yaml

    nav = yaml.load(REPO.joinpath("mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["nav"]
    path = next(item["Learning path"] for item in nav if "Learning path" in item)
    listed = [next(iter(entry.values())) for entry in path]
    in_index = re.findall(r"\]\((architectures/[\w-]+\.md)\)", DOCS.joinpath("index.md").read_text())
    assert listed == in_index


@pytest.fixture(scope="module")
def served(site):
    """The built site over HTTP on 127.0.0.1 (a free port), as a reader's browser gets it."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_index_renders_in_chromium(served, tmp_path):
    extra_or_skip("playwright")
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium missing in CI at {CHROMIUM} (.ci/run installs Debian's chromium)")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from PIL import Image
    from playwright.sync_api import sync_playwright

    shot = tmp_path / "index.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 2000})
            # the site needs nothing from outside: anything not on our server is refused, not waited for
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(served)
                       else route.abort())
            page.goto(served + "index.html", wait_until="load", timeout=30_000)
            page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=15_000)
            images = page.evaluate("Array.from(document.images).map(i => ({src: i.getAttribute('src'),"
                                   " loaded: i.complete && i.naturalWidth > 0}))")
            heading = page.locator("article h1").first.inner_text()
            title = page.title()
            page.screenshot(path=str(shot))
        finally:
            browser.close()

    assert images, "the home page shows no picture"
    assert not [i["src"] for i in images if not i["loaded"]], f"pictures that did not load: {images}"
    assert "convnets" in title
    assert heading.replace("¶", "").strip() == _index_heading()
    with Image.open(shot) as im:
        assert im.size == (1280, 2000)
        gray = im.convert("L")
        lo, hi = gray.getextrema()
        assert hi - lo > 100, "the screenshot is blank"
        assert len(gray.getcolors(maxcolors=256 * 256) or range(257)) > 16, "the screenshot is nearly blank"
