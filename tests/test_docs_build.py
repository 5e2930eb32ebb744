"""The documentation site builds in strict mode: any broken link or anchor, missing page, docstring
that griffe cannot parse, or gallery example that fails is a warning, and a warning fails the build.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'")
pytest.importorskip("mkdocstrings", reason="the docs extra is not installed: pip install -e '.[docs]'")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT_SECONDS = 300


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    site = tmp_path_factory.mktemp("docs") / "site"
    # Material prints a banner about its end of life on every build; it is not a build warning.
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "--config-file", str(PROJECT_ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        # another working directory than the project's: paths in the config must not depend on it
        cwd=site.parent, env=environment, capture_output=True, text=True,
        timeout=BUILD_TIMEOUT_SECONDS, check=False,
    )
    return site, build


def test_site_builds_without_warnings(built_site: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, build = built_site
    warnings = [line for line in build.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert build.returncode == 0 and not warnings, "mkdocs build --strict failed:\n" + build.stderr[-6000:]


def test_site_has_math_api_reference_and_gallery(
    built_site: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    site, build = built_site
    if build.returncode != 0:
        pytest.skip("the build failed; see test_site_builds_without_warnings")
    em_page = (site / "em" / "index.html").read_text(encoding="utf-8")
    assert 'class="arithmatex"' in em_page  # $...$ handed to MathJax
    estimators = (site / "api" / "estimators" / "index.html").read_text(encoding="utf-8")
    assert "mixtures.Mixture" in estimators and "predict_proba" in estimators
    seed_em = (site / "gallery" / "seed_em" / "index.html").read_text(encoding="utf-8")
    assert "EM for a 2-D mixture of three Gaussians" in seed_em  # the example's source is included
    if importlib.util.find_spec("matplotlib") is not None:
        assert (site / "gallery" / "seed_em.png").stat().st_size > 0
        assert 'src="../seed_em.png"' in seed_em


def test_formulas_render_without_a_network(
    built_site: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """MathJax and everything it loads are served with the site; no page asks a CDN or a font
    service for anything."""
    site, build = built_site
    if build.returncode != 0:
        pytest.skip("the build failed; see test_site_builds_without_warnings")
    mathjax = site / "assets" / "mathjax"
    assert (mathjax / "tex-mml-chtml.js").stat().st_size > 500_000
    assert len(list((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("MathJax_*.woff"))) > 20
    assert (mathjax / "input" / "tex" / "extensions" / "ams.js").is_file()  # loaded on demand
    pages = list(site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        html = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link)[^>]*(?:src|href)="(?:https?:)?//[^"]*"', html)
        assert not remote, f"{page.relative_to(site)} loads {remote}"
    em_page = (site / "em" / "index.html").read_text(encoding="utf-8")
    assert '<script src="../assets/mathjax/tex-mml-chtml.js"></script>' in em_page
