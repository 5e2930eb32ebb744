"""``mixtures demo``: the seed example fitted by EM and by VB, and a Bernoulli mixture, with pictures."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from mixtures.exceptions import ConvergenceWarning
from mixtures.models import Mixture, select_model
from mixtures.models.summary import summary
from mixtures.priors import NormalWishart
from mixtures.priors.weights import DirichletWeights

__all__ = ["bar_images", "run_demo", "seed_data"]

Array = NDArray[np.float64]

# The seed notebooks' mixture: 1000 points from three 2-D Gaussians (the examples and tests use
# these too).
TRUE_WEIGHTS = np.array([0.15, 0.35, 0.5])
TRUE_MEANS = np.array([[-3.0, 2.0], [4.0, 2.0], [3.0, 1.0]])
TRUE_COVARIANCES = np.array(
    [[[1.0, 0.2], [0.2, 2.0]], [[0.8, -1.0], [-1.0, 1.3]], [[1.5, 1.4], [1.4, 1.5]]]
)
N_SAMPLES = 1000
DATA_SEED = 3

# The seed notebook's VB priors (Bishop §10.2), and a generous K with a weight prior that
# prefers few components: VB switches off those the data do not need.
SEED_PRIOR = NormalWishart(mean_precision=1.5, dof=2.0, mean=np.array([1.0, 1.0]), scale=np.eye(2))
GENEROUS_K = 8
SMALL_CONCENTRATION = 0.01

# Binary 8×8 pictures for the Bernoulli mixture: four prototypes, each pixel flipped with this rate.
IMAGE_SHAPE = (8, 8)
FLIP_RATE = 0.1
N_IMAGES = 800


def seed_data(n_samples: int = N_SAMPLES, seed: int = DATA_SEED) -> tuple[Array, NDArray[np.intp]]:
    """Points from the seed mixture and the component each was drawn from."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(len(TRUE_WEIGHTS), size=n_samples, p=TRUE_WEIGHTS)
    points = np.empty((n_samples, 2))
    for k, (mean, covariance) in enumerate(zip(TRUE_MEANS, TRUE_COVARIANCES, strict=True)):
        chosen = labels == k
        points[chosen] = rng.multivariate_normal(mean, covariance, size=int(chosen.sum()))
    return points, labels


def bar_prototypes() -> Array:
    """Four 8×8 binary pictures (a horizontal bar, a vertical bar, a diagonal, a frame), flattened."""
    pictures = np.zeros((4, *IMAGE_SHAPE))
    pictures[0, 3:5, :] = 1
    pictures[1, :, 3:5] = 1
    pictures[2] = np.eye(IMAGE_SHAPE[0]) + np.eye(IMAGE_SHAPE[0], k=1)
    pictures[3, [0, -1], :] = 1
    pictures[3, :, [0, -1]] = 1
    return pictures.reshape(4, -1)


def bar_images(n_images: int = N_IMAGES, seed: int = 0) -> tuple[Array, NDArray[np.intp]]:
    """Noisy copies of the four prototypes (each pixel flipped with probability ``FLIP_RATE``)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=n_images)
    flips = rng.random((n_images, IMAGE_SHAPE[0] * IMAGE_SHAPE[1])) < FLIP_RATE
    return np.abs(bar_prototypes()[labels] - flips), labels


def largest_mean_error(means: Array) -> float:
    """Distance from each true mean to its fitted match, at worst, over the best matching."""
    return min(
        float(np.linalg.norm(means[list(order)] - TRUE_MEANS, axis=1).max())
        for order in itertools.permutations(range(len(means)), len(TRUE_MEANS))
    )


def _means(model: Mixture) -> Array:
    components: Any = model.components_  # Gaussian components: they have means
    return np.asarray(components.mean)


def _fit(model: Mixture, x: Array, observe: Callable[[Mixture], Any]) -> Mixture:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the summary says whether it converged
        with observe(model):
            return model.fit(x)


def run_demo(
    out_dir: Path | None,
    stdout: TextIO,
    observe: Callable[[Mixture], Any],
) -> list[Path]:
    """Fit the demo models, print their summaries to ``stdout`` and write their pictures to
    ``out_dir`` (none when it is ``None``). ``observe(model)`` is a context manager around each
    fit (the command line's progress display). Returns the pictures written."""
    points, _ = seed_data()

    def say(text: str = "") -> None:
        print(text, file=stdout)

    say(f"== The seed example: {N_SAMPLES} points from a 2-D mixture of 3 Gaussians, fitted by EM")
    em = _fit(Mixture("gaussian", 3, tol=1e-6, max_iter=500, random_state=0), points, observe)
    say(summary(em, points))
    say(f"true weights {np.array2string(TRUE_WEIGHTS, separator=', ')}; largest distance from a true "
        f"mean to its fitted mean: {largest_mean_error(_means(em)):.3f}")
    say()

    say(f"== The same points by variational Bayes, K = {GENEROUS_K}, weight concentration "
        f"{SMALL_CONCENTRATION} (the seed notebook's Normal-Wishart prior)")
    vb = _fit(
        Mixture(
            "gaussian", GENEROUS_K, inference="vb", prior=SEED_PRIOR,
            weight_prior=DirichletWeights(concentration=SMALL_CONCENTRATION),
            tol=1e-8, max_iter=1000, random_state=0,
        ),
        points,
        observe,
    )
    say(summary(vb, points))
    effective = _means(vb)[vb.effective_components_]
    if len(effective) >= len(TRUE_MEANS):
        say(f"largest distance from a true mean to its fitted mean: {largest_mean_error(effective):.3f}")
    say()

    images, _ = bar_images()
    say(f"== A Bernoulli mixture: {N_IMAGES} noisy 8×8 binary pictures of 4 shapes "
        f"({FLIP_RATE:.0%} of pixels flipped)")
    bernoulli = _fit(Mixture("bernoulli", 4, n_init=3, random_state=0), images, observe)
    say(summary(bernoulli, images))
    say()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        selection = select_model(points, range(1, 7), ["full"], random_state=0)
    say("== Choosing K for the seed example by BIC")
    say(selection.table())

    if out_dir is None:
        return []
    return _write_pictures(out_dir, points, em, vb, images, bernoulli, selection)


def _write_pictures(
    out_dir: Path, points: Array, em: Mixture, vb: Mixture, images: Array, bernoulli: Mixture,
    selection: Any,
) -> list[Path]:
    import matplotlib.pyplot as plt

    from mixtures.plotting import (
        plot_component_images,
        plot_fit,
        plot_model_selection,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    def save(figure: Any, name: str) -> None:
        path = out_dir / name
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)

    save(plot_fit(em, points), "seed_em.png")
    save(plot_fit(vb, points), "seed_vb.png")
    figure = plot_component_images(bernoulli, IMAGE_SHAPE)
    figure.suptitle("Bernoulli mixture: P(pixel = 1) per component")
    save(figure, "bernoulli.png")
    save(plot_model_selection(selection).figure, "selection.png")
    return written
