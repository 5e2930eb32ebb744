"""MkDocs hook: MathJax served with the site, so the formulas render without a network.

The pages write math as ``$...$`` and ``$$...$$``; ``pymdownx.arithmatex`` hands it to MathJax,
which typesets it in the browser. MathJax's files come from a Python package of the docs extra,
``django-static-mathjax`` (MathJax 3.2.2 as plain files, no dependencies, Django not needed), and
join the site under ``assets/mathjax/``: the bundle ``tex-mml-chtml.js`` and what it loads on
demand (TeX extensions, the CommonHTML fonts, the menu and its accessibility tools). Nothing is
fetched from a CDN, and nothing generated is committed.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.mathjax_assets")

SITE_FOLDER = "assets/mathjax"
BUNDLE = "tex-mml-chtml.js"  # TeX and MathML in, CommonHTML out
# Folders of MathJax's es5 tree that the bundle loads from on demand.
ON_DEMAND = ("input", "output/chtml", "ui", "a11y", "sre", "adaptors")


def _mathjax_files() -> Path | None:
    """The ``es5`` folder of the installed MathJax files, or None when they are not installed."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        es5 = Path(location) / "static" / "mathjax" / "es5"
        if (es5 / BUNDLE).is_file():
            return es5
    return None


def on_files(files: Files, config: Any) -> Files:
    es5 = _mathjax_files()
    if es5 is None:
        log.warning(
            "Math: MathJax's files are not installed, so the formulas would show as TeX; install the "
            "docs extra: pip install -e '.[docs]' (it brings django-static-mathjax)."
        )
        return files
    sources = [es5 / BUNDLE, es5.parent / "LICENSE"]
    for folder in ON_DEMAND:
        sources.extend(path for path in sorted((es5 / folder).rglob("*")) if path.is_file())
    for source in sources:
        inside = source.name if source.parent == es5.parent else source.relative_to(es5).as_posix()
        files.append(File.generated(config, f"{SITE_FOLDER}/{inside}", abs_src_path=str(source)))
    return files
