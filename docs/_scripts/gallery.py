"""MkDocs hook: the gallery's pictures are drawn by the examples themselves, during the build.

A gallery page ``gallery/<name>.md`` with a line ``<!-- picture -->`` shows the figure that
``python examples/<name>.py --plot <file>.png`` draws. The pictures are drawn into a temporary folder
and join the site as ``gallery/<name>.png``; no generated picture is committed. Without matplotlib
(or another package an example needs) the picture is left out with an info message, so the build
still passes; an example that fails for any other reason is a warning, which fails a strict build.
Set ``MIXTURES_DOCS_PICTURES=0`` to leave the pictures out on purpose (quicker ``mkdocs serve``).

The hook also makes ``pymdownx.snippets``' base path absolute (the folder of ``mkdocs.yml``), so the
examples' source is found whatever the working directory of the build.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.gallery")

PICTURE_MARKER = "<!-- picture -->"
GALLERY_FOLDER = "gallery"
# Generous: each example takes a few seconds; a hung one must not hang the build.
EXAMPLE_TIMEOUT_SECONDS = 300
# The machine's cores; the examples are single-process scripts.
PARALLEL_EXAMPLES = 2

_project_root = Path.cwd()
_picture_folder: Path | None = None
# Pictures drawn by this process, by a hash of the sources that draw them, so `mkdocs serve`
# reruns an example only after the example or the library changed.
_drawn: dict[str, Path] = {}
_pictures_this_build: dict[str, Path] = {}


def on_config(config: Any) -> Any:
    global _project_root
    _project_root = Path(config.config_file_path).resolve().parent
    snippets = config.mdx_configs.get("pymdownx.snippets")
    if snippets is not None:
        snippets["base_path"] = [str(_project_root)]
    return config


def on_files(files: Files, config: Any) -> Files:
    _pictures_this_build.clear()
    wanted = _pages_wanting_pictures(files)
    _report_examples_without_a_page(files)
    if not wanted:
        return files
    if os.environ.get("MIXTURES_DOCS_PICTURES", "1") == "0":
        log.info("Gallery: MIXTURES_DOCS_PICTURES=0, so the examples' pictures are left out.")
        return files
    if importlib.util.find_spec("matplotlib") is None:
        log.info("Gallery: matplotlib is not installed, so the examples' pictures are left out.")
        return files
    _make_picture_folder()
    with ThreadPoolExecutor(max_workers=PARALLEL_EXAMPLES) as pool:
        drawn = dict(zip(wanted, pool.map(_draw, wanted), strict=True))
    for name, picture in drawn.items():
        if picture is None:
            continue
        _pictures_this_build[name] = picture
        files.append(File.generated(config, f"{GALLERY_FOLDER}/{name}.png", abs_src_path=str(picture)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    if PICTURE_MARKER not in markdown:
        return markdown
    name = _example_name(page.file.src_uri)
    if name is None or name not in _pictures_this_build:
        return markdown.replace(PICTURE_MARKER, "")
    # the figures are wide: the picture links to itself at full size
    image = f"[![The figure drawn by examples/{name}.py --plot]({name}.png)]({name}.png)"
    return markdown.replace(PICTURE_MARKER, image)


def _example_name(src_uri: str) -> str | None:
    match = re.fullmatch(rf"{GALLERY_FOLDER}/(\w+)\.md", src_uri)
    return match.group(1) if match else None


def _pages_wanting_pictures(files: Files) -> list[str]:
    names = []
    for file in files.documentation_pages():
        name = _example_name(file.src_uri)
        if name is not None and PICTURE_MARKER in Path(file.abs_src_path or "").read_text(encoding="utf-8"):
            names.append(name)
    return names


def _report_examples_without_a_page(files: Files) -> None:
    pages = {_example_name(file.src_uri) for file in files.documentation_pages()}
    for script in sorted((_project_root / "examples").glob("*.py")):
        # helpers such as seed_data.py have no main() and are not examples of their own
        if script.stem not in pages and "def main(" in script.read_text(encoding="utf-8"):
            log.info(f"Gallery: examples/{script.name} has no page {GALLERY_FOLDER}/{script.stem}.md yet.")


def _make_picture_folder() -> None:
    global _picture_folder
    if _picture_folder is None:
        _picture_folder = Path(tempfile.mkdtemp(prefix="mixtures-gallery-"))
        # removed at exit, also when a strict build aborts and skips MkDocs' shutdown event
        atexit.register(shutil.rmtree, _picture_folder, ignore_errors=True)


def _sources_hash(name: str) -> str:
    """A hash of everything that draws the picture: the examples and the library."""
    digest = hashlib.sha256(name.encode())
    for folder in ("examples", "mixtures"):
        for source in sorted((_project_root / folder).rglob("*.py")):
            digest.update(source.read_bytes())
    return digest.hexdigest()


def _draw(name: str) -> Path | None:
    """Run ``examples/<name>.py --plot``; the PNG's path, or None when it could not be drawn."""
    key = _sources_hash(name)
    if key in _drawn and _drawn[key].exists():
        return _drawn[key]
    assert _picture_folder is not None
    script = _project_root / "examples" / f"{name}.py"
    if not script.exists():
        log.warning(f"Gallery: {GALLERY_FOLDER}/{name}.md shows a picture of a missing examples/{name}.py.")
        return None
    picture = _picture_folder / f"{name}.png"
    picture.unlink(missing_ok=True)  # a failed run must not pass off an older picture as its own
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    try:
        run = subprocess.run(
            [sys.executable, str(script), "--plot", str(picture)],
            cwd=_project_root, env=environment, capture_output=True, text=True,
            timeout=EXAMPLE_TIMEOUT_SECONDS, check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning(f"Gallery: examples/{name}.py took over {EXAMPLE_TIMEOUT_SECONDS} s; no picture.")
        return None
    missing = re.search(r"ModuleNotFoundError: No module named '([^']+)'", run.stderr)
    # a third-party package the example needs; a module of the library itself missing is a bug
    if run.returncode != 0 and missing and missing.group(1).split(".")[0] != "mixtures":
        log.info(f"Gallery: examples/{name}.py needs {missing.group(1)}, which is not installed; no picture.")
        return None
    if run.returncode != 0 or not picture.exists():
        last_lines = "\n".join(run.stderr.strip().splitlines()[-5:])
        log.warning(f"Gallery: examples/{name}.py --plot failed (exit {run.returncode}):\n{last_lines}")
        return None
    _drawn[key] = picture
    return picture
