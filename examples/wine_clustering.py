"""Gaussian clustering of the wine data: choose the covariance and K by BIC, compare with the truth.

The wine data of scikit-learn (178 wines, 13 chemical measurements, three cultivars; shipped with
scikit-learn, nothing is downloaded) are clustered without their labels:

1. standardise the measurements (each to mean 0 and standard deviation 1);
2. fit full, diagonal, spherical and tied Gaussian mixtures with 1 to 6 components and keep the
   lowest BIC (``mx.select_model``);
3. compare the clusters with the cultivars by the adjusted Rand index (ARI: 1 for the same
   partition, about 0 for an unrelated one) and a cross-table;
4. fit the raw measurements too: the Gaussian fits do not depend on the units, so the clusters are
   the same row for row, and the log-likelihoods differ by exactly the change of units.

Run ``python examples/wine_clustering.py`` (``--plot wine.png`` draws the BIC curves and the
clusters; needs matplotlib). The script exits with an error when a check fails, so it doubles as an
end-to-end test.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

import mixtures as mx

FAMILIES = ("full", "diag", "spherical", "tied")
SIZES = range(1, 7)
N_INIT = 5
MIN_ARI_THREE = 0.85  # three diagonal components find the cultivars (0.92 in the run shown)
# The two fits stop at their own convergence test, so their log-likelihoods agree to about 1e-5.
UNIT_CHANGE_TOLERANCE = 1e-4
SHOWN = ("flavanoids", "proline")  # two measurements that separate the cultivars well


def cross_table(truth: NDArray[np.intp], found: NDArray[np.intp], names: Sequence[str]) -> str:
    """Rows: the true classes; columns: the clusters; cells: how many wines."""
    n_clusters = int(found.max()) + 1
    lines = [" " * 12 + "".join(f"{f'cluster {k}':>11}" for k in range(n_clusters))]
    for c, name in enumerate(names):
        counts = np.bincount(found[truth == c], minlength=n_clusters)
        lines.append(f"{name:<12}" + "".join(f"{n:>11}" for n in counts))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--plot", metavar="PATH", help="save the BIC curves and the clusters (needs matplotlib)"
    )
    args = parser.parse_args(argv)

    from sklearn.datasets import load_wine
    from sklearn.metrics import adjusted_rand_score

    wine = load_wine()
    raw, cultivar = wine.data, wine.target
    names = list(wine.feature_names)
    classes = [f"cultivar {c}" for c in range(3)]
    print(f"{raw.shape[0]} wines × {raw.shape[1]} measurements, {len(classes)} cultivars (not used to fit)")

    # 1. standardise
    centre, spread = raw.mean(axis=0), raw.std(axis=0)
    standard = (raw - centre) / spread

    # 2. the covariance kind and K with the lowest BIC
    selection = mx.select_model(standard, SIZES, FAMILIES, n_init=N_INIT, random_state=0)
    print("\nBIC over the grid (lower is better; * marks the best):")
    print(selection.table())
    best = selection.best
    print(f"\nlowest BIC: {best.family}, K = {best.size}")

    # 3. against the cultivars
    labels = best.model.predict(standard)
    best_ari = adjusted_rand_score(cultivar, labels)
    print(f"ARI of the BIC choice against the cultivars: {best_ari:.3f}")
    print(cross_table(cultivar, labels, classes))
    # the family as given ("diag"), not the fitted family_, whose units the fit fixed
    three = mx.Mixture(best.model.family, 3, n_init=N_INIT, random_state=0).fit(standard)
    three_labels = three.predict(standard)
    three_ari = adjusted_rand_score(cultivar, three_labels)
    print(f"\nthe same covariance kind with K = 3: ARI {three_ari:.3f}")
    print(cross_table(cultivar, three_labels, classes))

    # 4. raw measurements: the same clusters; log-likelihoods differ by the log of the unit change
    raw_fit = mx.Mixture(best.model.family, 3, n_init=N_INIT, random_state=0).fit(raw)
    agreement = adjusted_rand_score(three_labels, raw_fit.predict(raw))
    unit_change = float(np.log(spread).sum())  # log |det| of x -> (x - centre) / spread, per row
    shift = three.score(standard) - raw_fit.score(raw)
    print(
        f"\nraw measurements, K = 3: ARI against the standardised fit's clusters {agreement:.3f}; "
        f"log-likelihood per row {raw_fit.score(raw):.4f} raw, {three.score(standard):.4f} "
        f"standardised, a difference of {shift:.4f} = Σ log(standard deviation) = {unit_change:.4f}"
    )

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from mixtures.plotting import plot_gaussian_components, plot_model_selection

        figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
        plot_model_selection(selection, criteria=("bic",), ax=left)
        plot_gaussian_components(
            three, standard, ax=right, features=[names.index(name) for name in SHOWN], feature_names=names
        )
        right.set_title("K = 3 clusters, standardised units")
        figure.savefig(args.plot, dpi=110)
        plt.close(figure)
        print(f"picture saved to {args.plot}")

    failures = []
    if three_ari < MIN_ARI_THREE:
        failures.append(f"three components reached only ARI {three_ari:.3f} (expected >= {MIN_ARI_THREE})")
    if agreement != 1.0:
        failures.append(f"raw and standardised fits disagree (ARI {agreement:.3f})")
    if not np.isclose(shift, unit_change, rtol=0, atol=UNIT_CHANGE_TOLERANCE):
        failures.append(f"log-likelihoods differ by {shift:.6f}, not by the unit change {unit_change:.6f}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
