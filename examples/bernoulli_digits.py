"""A Bernoulli mixture on binarised 8×8 images of handwritten digits.

Each image of scikit-learn's small digits data set (1797 images, pixel values 0–16) becomes 64 binary
features, ``pixel > 7``. A mixture of ten ``mx.Bernoulli`` components is fitted by EM without looking at
the labels; afterwards the labels tell how well the components line up with the ten digits.

Run it with ``python examples/bernoulli_digits.py``; add ``--plot digits.png`` to save the ten learned
pixel-probability images (needs matplotlib). The data ship with scikit-learn, which this example needs
(``pip install scikit-learn``); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

import mixtures as mx

N_COMPONENTS = 10
IMAGE_SHAPE = (8, 8)
# Pixels range over 0..16; above half intensity counts as ink.
INK_THRESHOLD = 7


def load_binary_digits() -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Binarised images ``(1797, 64)`` and their digit labels ``(1797,)``."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit(
            "This example needs scikit-learn for its bundled digits data: pip install scikit-learn"
        ) from None
    digits = load_digits()
    images = (digits.data > INK_THRESHOLD).astype(np.float64)
    return images, digits.target.astype(np.intp)


def label_counts(components: NDArray[np.intp], labels: NDArray[np.intp]) -> NDArray[np.intp]:
    """``counts[k, d]``: how many images of digit ``d`` were assigned to component ``k``."""
    counts = np.zeros((N_COMPONENTS, 10), dtype=np.intp)
    np.add.at(counts, (components, labels), 1)
    return counts


def print_alignment(model: mx.Mixture, counts: NDArray[np.intp]) -> None:
    sizes = counts.sum(1)
    print(f"{'comp':>4}  {'weight':>6}  {'images':>6}  {'majority':>8}  {'purity':>6}  runners-up")
    for k in np.argsort(-model.weights_):
        if sizes[k] == 0:
            print(f"{k:>4}  {model.weights_[k]:6.3f}  {0:>6}  {'-':>8}  {'-':>6}")
            continue
        ranked = np.argsort(-counts[k])
        runners_up = ", ".join(f"{d}: {counts[k, d] / sizes[k]:.0%}" for d in ranked[1:3] if counts[k, d] > 0)
        print(
            f"{k:>4}  {model.weights_[k]:6.3f}  {sizes[k]:>6}  {ranked[0]:>8}  "
            f"{counts[k, ranked[0]] / sizes[k]:6.1%}  {runners_up}"
        )


def save_plot(path: str, model: mx.Mixture, counts: NDArray[np.intp]) -> bool:
    """Write the learned pixel probabilities as a grid of images; ``False`` without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: never needs a display
        import matplotlib.pyplot as plt

        from mixtures.plotting import plot_component_images
    except ImportError:
        return False

    order = np.argsort(counts.argmax(1), kind="stable")  # show components in digit order
    titles = []
    for k in order:
        size = counts[k].sum()
        purity = f"{counts[k].max() / size:.0%}" if size else "-"
        titles.append(f"comp {k}: mostly {counts[k].argmax()}\nπ={model.weights_[k]:.2f}, purity {purity}")
    figure = plt.figure(figsize=(11.5, 5), layout="constrained")
    plot_component_images(
        model, IMAGE_SHAPE, order=order, titles=titles, n_columns=N_COMPONENTS // 2, figure=figure
    )
    figure.suptitle("Bernoulli mixture on binarised digits: P(pixel is ink) per component")
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plot", metavar="PATH", help="save the learned component images to PATH")
    parser.add_argument("--n-init", type=int, default=10, help="EM restarts; the best fit is kept")
    return parser.parse_args(argv)


def choose_number_of_components(images: NDArray[np.float64]) -> None:
    """Two ways to choose K: the BIC over a range of fits, and VB with a generous K, whose weight
    prior switches off the components the data do not need."""
    print()
    print("choosing K by BIC (EM, 2 starts each):")
    bics = {}
    for k in (4, 6, 8, 10, 12, 14, 16, 20):
        fit = mx.Mixture(mx.Bernoulli(), k, n_init=2, tol=1e-4, max_iter=500, random_state=0).fit(images)
        bics[k] = fit.bic(images)
        print(f"  K={k:>2}  BIC {bics[k]:9.0f}")
    best = min(bics, key=bics.__getitem__)
    print(f"  lowest BIC at K={best}")
    generous = mx.Mixture(
        mx.Bernoulli(), 30, inference="vb", weight_prior=mx.DirichletWeights(concentration=1e-3),
        n_init=2, random_state=0, max_iter=1000,
    ).fit(images)
    print(
        f"VB with K=30 and a Dirichlet(1e-3) weight prior keeps "
        f"{generous.n_effective_components_} components with at least 1% of the images"
    )
    if not 4 <= best <= 30 or not 4 <= generous.n_effective_components_ <= 30:
        raise AssertionError("model selection gave an implausible number of components")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    images, labels = load_binary_digits()

    model = mx.Mixture(mx.Bernoulli(), N_COMPONENTS, n_init=args.n_init, tol=1e-4, random_state=0)
    assignments = model.fit_predict(images)
    counts = label_counts(assignments, labels)

    print(
        f"Fitted {N_COMPONENTS} Bernoulli components to {images.shape[0]} binarised "
        f"{IMAGE_SHAPE[0]}×{IMAGE_SHAPE[1]} digit images ({images.shape[1]} binary features)."
    )
    print(
        f"best of {args.n_init} runs: converged {model.converged_} after {model.n_iter_} iterations, "
        f"mean log-likelihood {model.lower_bound_:.3f} per image, BIC {model.bic(images):.0f}"
    )
    print()
    print_alignment(model, counts)
    print()

    # labelling every image by its component's majority digit: a purity score for the clustering
    purity = counts.max(1).sum() / len(labels)
    majority = counts.argmax(1)[counts.sum(1) > 0]
    missing = sorted(set(range(10)) - set(majority.tolist()))
    shared = sorted({int(d) for d in majority if (majority == d).sum() > 1})
    print(f"overall purity (images whose component's majority digit is their own): {purity:.1%}")
    print(f"digits no component is mostly about: {missing or 'none'}")
    print(f"digits split over several components: {shared or 'none'}")

    choose_number_of_components(images)

    if args.plot:
        if save_plot(args.plot, model, counts):
            print(f"figure written to {args.plot}")
        else:
            print("matplotlib is not installed; skipping --plot (pip install matplotlib)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
