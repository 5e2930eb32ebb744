"""Pictures of fitted models: Gaussian ellipses, objective curves, component means, HMM states and
model-selection curves.

matplotlib is an optional dependency (``pip install "mixtures[plot]"``); it is imported only when a
function here is called. Every function draws on the ``ax`` it is given, or on a new figure, and
returns what it drew on (the ``Axes``, or the ``Figure`` of a multi-panel picture); none calls
``plt.show()``, so they work the same in scripts, notebooks and on headless machines.

>>> import mixtures as mx
>>> from mixtures.plotting import plot_gaussian_components
>>> model = mx.Mixture(mx.Gaussian(), 3).fit(X)  # doctest: +SKIP
>>> ax = plot_gaussian_components(model, X)  # doctest: +SKIP
>>> ax.figure.savefig("fit.png")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from mixtures._validation import as_data_matrix
from mixtures.families.base import Components
from mixtures.inference.sequences import check_lengths

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse

    from mixtures.models.selection import Selection

__all__ = [
    "covariance_ellipses",
    "plot_component_heatmap",
    "plot_component_images",
    "plot_fit",
    "plot_gaussian_components",
    "plot_hmm_states",
    "plot_model_selection",
    "plot_objective",
]

Array = NDArray[np.float64]

#: Criteria drawn by ``plot_model_selection`` when none are named (lower is better for all three).
DEFAULT_CRITERIA = ("bic", "aic", "icl")
_CRITERION_LABELS = {"bic": "BIC", "aic": "AIC", "icl": "ICL", "elbo": "ELBO"}
_CRITERION_MARKERS = {"bic": "o", "aic": "s", "icl": "^", "elbo": "D"}
# Faintest ellipse, for a component of (nearly) zero weight: still visible, clearly secondary.
_MIN_ALPHA = 0.15


# ---------------------------------------------------------------------------------------------- helpers
def _pyplot() -> Any:
    """``matplotlib.pyplot``, or an ``ImportError`` saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            'plotting needs matplotlib, an optional dependency: pip install "mixtures[plot]"'
        ) from error
    return plt


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.8)) -> Axes:
    if ax is not None:
        return ax
    _, new = _pyplot().subplots(figsize=figsize, layout="constrained")
    return new


def _integer_ticks(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _colours(n: int) -> list[Any]:
    """``n`` distinct colours: the default ten for small ``n``, evenly spaced hues beyond."""
    import matplotlib

    if n <= 10:
        return [matplotlib.colormaps["tab10"](k) for k in range(n)]
    return [matplotlib.colormaps["hsv"](k / n) for k in range(n)]


def _fitted(model: Any) -> Components:
    components = getattr(model, "components_", None)
    if not isinstance(components, Components):
        raise ValueError(f"{type(model).__name__} is not fitted: call fit before plotting it")
    return components


def _weights(model: Any, n_components: int) -> Array:
    """The mixing weights of a mixture; an HMM has none, so its states count equally."""
    weights = getattr(model, "weights_", None)
    if weights is None:
        return np.full(n_components, 1.0 / n_components)
    return np.asarray(weights, dtype=np.float64)


def _feature_names(model: Any, names: Sequence[str] | None, n_features: int) -> list[str]:
    """The features' names for axes and legends: ``names``, else the column names the model was
    fitted with (``feature_names_in_``, from a DataFrame), else ``feature 0``, ``feature 1``..."""
    if names is None:
        fitted = getattr(model, "feature_names_in_", None)
        names = [str(name) for name in fitted] if fitted is not None else None
    if names is None:
        return [f"feature {f}" for f in range(n_features)]
    if len(names) != n_features:
        raise ValueError(f"feature_names has {len(names)} entries but the data have {n_features} features")
    return [str(name) for name in names]


def _objective_name(model: Any) -> str:
    if hasattr(model, "posterior_"):  # a variational fit
        return "ELBO per sample"
    if getattr(model, "prior", None) is not None:
        return "log-likelihood + log prior per sample"
    return "log-likelihood per sample"


def _gaussian_parameters(components: Components) -> tuple[Array, Array]:
    """Every component's mean ``(K, D)`` and covariance ``(K, D, D)``, for full, tied, diagonal
    and spherical Gaussians."""
    mean = np.asarray(getattr(components, "mean", None), dtype=np.float64)
    if mean.ndim != 2:
        raise ValueError(
            f"Gaussian ellipses need Gaussian components (Gaussian, DiagonalGaussian, "
            f"SphericalGaussian or TiedGaussian); got {type(components).__name__}"
        )
    n_components, n_features = mean.shape
    if hasattr(components, "covariance"):
        covariance = np.asarray(components.covariance, dtype=np.float64)
        if covariance.shape == (n_features, n_features):  # tied: one matrix for all
            covariance = np.broadcast_to(covariance, (n_components, n_features, n_features))
        elif len(covariance) < n_components:  # tied in groups: one matrix per run of components
            covariance = np.repeat(covariance, n_components // len(covariance), axis=0)
        return mean, covariance
    if hasattr(components, "variance"):
        variance = np.asarray(components.variance, dtype=np.float64)
        if variance.ndim == 1:  # spherical: one variance per component
            variance = np.repeat(variance[:, None], n_features, axis=1)
        return mean, variance[:, :, None] * np.eye(n_features)
    raise ValueError(
        f"Gaussian ellipses need components with a covariance or variance; got "
        f"{type(components).__name__}"
    )


def _feature_pair(features: Sequence[int] | None, n_features: int) -> tuple[int, int]:
    if features is None:
        if n_features != 2:
            raise ValueError(
                f"ellipses are drawn in two dimensions but the model has {n_features} feature(s); "
                f"choose two with features=(i, j)"
            )
        return 0, 1
    pair = tuple(int(f) for f in features)
    if len(pair) != 2 or pair[0] == pair[1] or not all(0 <= f < n_features for f in pair):
        raise ValueError(
            f"features must be two different indices in [0, {n_features}); got {tuple(features)!r}"
        )
    return pair[0], pair[1]


def _mean_table(components: Components) -> tuple[Array, str]:
    """Per-component means, ``(K, D)`` (or ``(K, D, C)`` for categorical probabilities), and what
    they are."""
    for name, label in (
        ("probs", "probability"),
        ("rate", "rate"),
        ("mean", "mean"),
    ):
        values = getattr(components, name, None)
        if values is not None and np.ndim(values) >= 2:
            return np.asarray(values, dtype=np.float64), label
    raise ValueError(
        f"{type(components).__name__} has no per-feature mean (probs, rate or mean) to draw"
    )


# ---------------------------------------------------------------------------------------------- ellipses
def covariance_ellipses(
    ax: Axes,
    mean: Any,
    covariance: Any,
    n_sigma: Sequence[float] = (1.0, 2.0, 3.0),
    **style: Any,
) -> list[Ellipse]:
    """Draw the ellipses ``(x − mean)ᵀ Σ⁻¹ (x − mean) = s²`` for each ``s`` in ``n_sigma``.

    Parameters
    ----------
    ax : matplotlib Axes
    mean : (2,) array
    covariance : (2, 2) symmetric positive semi-definite array
    n_sigma : sequence of float
        Radii in standard deviations (Mahalanobis distance).
    **style
        Passed to ``matplotlib.patches.Ellipse`` (``edgecolor``, ``linestyle``, ``alpha``...);
        unfilled unless ``fill=True`` is given. A ``label`` goes on the first ellipse only, so
        that a legend lists it once.

    Returns
    -------
    list of matplotlib.patches.Ellipse, one per radius.
    """
    from matplotlib.patches import Ellipse

    centre = np.asarray(mean, dtype=np.float64)
    matrix = np.asarray(covariance, dtype=np.float64)
    if centre.shape != (2,) or matrix.shape != (2, 2):
        raise ValueError(
            f"an ellipse needs a mean of shape (2,) and a covariance of shape (2, 2); got "
            f"{centre.shape} and {matrix.shape}"
        )
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    # rounding can leave a tiny negative eigenvalue on a collapsed component: a flat ellipse
    axis_lengths = 2.0 * np.sqrt(np.clip(eigenvalues, 0.0, None))
    angle = float(np.degrees(np.arctan2(eigenvectors[1, 1], eigenvectors[0, 1])))
    style = {"fill": False, **style}
    label = style.pop("label", None)
    patches: list[Ellipse] = []
    for radius in n_sigma:
        patch = Ellipse(
            (float(centre[0]), float(centre[1])),
            width=float(radius * axis_lengths[1]),
            height=float(radius * axis_lengths[0]),
            angle=angle,
            label=label if not patches else None,
            **style,
        )
        ax.add_patch(patch)
        patches.append(patch)
    return patches


def plot_gaussian_components(
    model: Any,
    X: Any = None,
    *,
    ax: Axes | None = None,
    features: Sequence[int] | None = None,
    n_sigma: Sequence[float] = (1.0, 2.0, 3.0),
    components: Sequence[int] | None = None,
    labels: Any = None,
    colors: Sequence[Any] | None = None,
    names: Sequence[str] | None = None,
    show_means: bool = True,
    legend: bool = True,
    feature_names: Sequence[str] | None = None,
) -> Axes:
    """Fitted Gaussian components as ellipses at ``n_sigma`` standard deviations over the data.

    Works for full, tied, diagonal and spherical Gaussians, fitted by EM or VB (posterior means),
    in a ``Mixture`` or an ``HMM``. Each ellipse's opacity follows its component's weight (an
    HMM's states count equally), so components VB switched off fade out.

    Parameters
    ----------
    model : fitted Mixture or HMM with Gaussian components
    X : array (n_samples, n_features), optional
        Data drawn as points, coloured by ``labels``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    features : pair of int, optional
        The two features to show (their marginal ellipses). Required when the model does not
        have exactly two features.
    n_sigma : sequence of float, default (1, 2, 3)
        Ellipse radii in standard deviations.
    components : sequence of int, optional
        The components whose ellipses (and means) are drawn; default all, or after VB those in
        ``effective_components_``. Points are drawn whatever their component.
    labels : array (n_samples,) of int, optional
        Component of each row, for the point colours; default ``model.predict(X)`` (for an
        HMM, one sequence; pass the labels of several sequences yourself).
    colors : sequence of colours, optional
        One colour per component; default the ``tab10`` cycle.
    names : sequence of str, optional
        One legend entry per component; default its index and weight.
    show_means : bool, default True
        Mark each drawn component's mean with a cross.
    legend : bool, default True
        Add a legend naming each component and its weight.
    feature_names : sequence of str, optional
        One name per feature, for the axis labels; default the column names the model was
        fitted with (``feature_names_in_``), else ``feature 0``, ``feature 1``...

    Returns
    -------
    matplotlib Axes
        ``ax.patches`` holds ``len(n_sigma)`` ellipses per drawn component, in component order.
    """
    means, covariances = _gaussian_parameters(_fitted(model))
    n_components, n_features = means.shape
    if components is None:  # after VB, the components the data switched on
        effective = getattr(model, "effective_components_", np.ones(n_components, dtype=bool))
        drawn = [int(k) for k in np.flatnonzero(effective)]
    else:
        drawn = [int(k) for k in components]
    if not all(0 <= k < n_components for k in drawn):
        raise ValueError(f"components must be indices in [0, {n_components}); got {components!r}")
    i, j = _feature_pair(features, n_features)
    colours = list(colors) if colors is not None else _colours(n_components)
    if len(colours) < n_components:
        raise ValueError(f"colors has {len(colours)} entries but the model has {n_components} components")
    weights = _weights(model, n_components)
    if names is None:
        names = (
            [f"component {k} (weight {weights[k]:.2f})" for k in range(n_components)]
            if hasattr(model, "weights_")
            else [f"state {k}" for k in range(n_components)]  # an HMM's states have no weights
        )
    elif len(names) < n_components:
        raise ValueError(f"names has {len(names)} entries but the model has {n_components} components")
    axes = _axes(ax)

    if X is not None:
        x = as_data_matrix(X)
        if x.shape[1] != n_features:
            raise ValueError(f"X has {x.shape[1]} features, but the model has {n_features}")
        assigned = np.asarray(model.predict(x) if labels is None else labels)
        if assigned.shape != (x.shape[0],):
            raise ValueError(f"labels must have shape ({x.shape[0]},); got {assigned.shape}")
        for k in range(n_components):
            mine = assigned == k
            if mine.any():
                axes.scatter(x[mine, i], x[mine, j], s=6, alpha=0.4, color=colours[k], linewidths=0)

    alphas = _MIN_ALPHA + (1.0 - _MIN_ALPHA) * weights / max(float(weights.max()), np.finfo(float).tiny)
    pair = np.ix_([i, j], [i, j])
    for k in drawn:
        covariance_ellipses(
            axes,
            means[k, [i, j]],
            covariances[k][pair],
            n_sigma,
            edgecolor=colours[k],
            linewidth=1.8,
            alpha=float(alphas[k]),
            label=names[k],
        )
    if show_means and drawn:
        axes.scatter(means[drawn, i], means[drawn, j], marker="x", s=60, color="black", zorder=3)
    if legend:
        axes.legend(fontsize="small")
    axis_names = _feature_names(model, feature_names, n_features)
    axes.set_xlabel(axis_names[i])
    axes.set_ylabel(axis_names[j])
    axes.set_aspect("equal", adjustable="datalim")
    axes.autoscale_view()
    sigmas = ", ".join(f"{s:g}" for s in n_sigma)
    axes.set_title(f"{n_components} {model.family_.name} components ({sigmas} σ)")
    return axes


# ---------------------------------------------------------------------------------------------- curves
def plot_objective(
    model: Any, *, ax: Axes | None = None, label: str | None = None, **style: Any
) -> Axes:
    """The fit's objective after every iteration (``model.lower_bounds_``).

    The log-likelihood per sample for EM (plus the log prior for MAP-EM), the ELBO per sample
    for VB; call it again on the same ``ax`` to compare fits.

    Parameters
    ----------
    model : fitted Mixture or HMM
    ax : matplotlib Axes, optional
    label : str, optional
        Legend entry; default the number of iterations and whether the fit converged.
    **style
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib Axes
    """
    values = getattr(model, "lower_bounds_", None)
    if values is None:
        raise ValueError(f"{type(model).__name__} is not fitted: call fit before plotting it")
    axes = _axes(ax)
    state = "converged" if model.converged_ else "not converged"
    style = {"marker": "o", "markersize": 3, **style}
    axes.plot(
        np.arange(len(values)),
        values,
        label=label if label is not None else f"{model.n_iter_} iterations, {state}",
        **style,
    )
    axes.set_xlabel("iteration")
    _integer_ticks(axes.xaxis)
    axes.set_ylabel(_objective_name(model))
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small")
    return axes


def plot_model_selection(
    selection: Selection, *, criteria: Sequence[str] | None = None, ax: Axes | None = None
) -> Axes:
    """Criteria against the number of components (or states), one line per criterion and family,
    the best candidate marked with a star.

    Parameters
    ----------
    selection : the result of ``mx.select_model``
    criteria : sequence of {"bic", "aic", "icl", "elbo"}, optional
        Default: ``("elbo",)`` when the selection used the ELBO, else ``("bic", "aic", "icl")``.
        The ELBO (maximised, on another scale) goes on a second y-axis when mixed with the others.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if criteria is None:
        criteria = ("elbo",) if selection.criterion == "elbo" else DEFAULT_CRITERIA
    criteria = tuple(criteria)
    unknown = [c for c in criteria if c not in _CRITERION_LABELS]
    if unknown or not criteria:
        raise ValueError(
            f"criteria must be a non-empty subset of {tuple(_CRITERION_LABELS)}; got {criteria!r}"
        )
    if "elbo" in criteria and any(c.elbo is None for c in selection.candidates):
        raise ValueError("the ELBO exists only for VB fits; this selection was fitted by EM")
    axes = _axes(ax)
    elbo_axes = axes.twinx() if "elbo" in criteria and len(criteria) > 1 else axes
    families = list(dict.fromkeys(c.family for c in selection.candidates))
    colours = _colours(len(criteria) * len(families))
    for f, family in enumerate(families):
        mine = sorted((c for c in selection.candidates if c.family == family), key=lambda c: c.size)
        sizes = [c.size for c in mine]
        for n, criterion in enumerate(criteria):
            target = elbo_axes if criterion == "elbo" else axes
            name = _CRITERION_LABELS[criterion] + (f" ({family})" if len(families) > 1 else "")
            target.plot(
                sizes,
                [getattr(c, criterion) for c in mine],
                marker=_CRITERION_MARKERS[criterion],
                color=colours[f * len(criteria) + n],
                label=name,
            )
    best = selection.best
    best_axes = elbo_axes if selection.criterion == "elbo" else axes
    best_value = getattr(best, selection.criterion)
    best_axes.scatter(
        [best.size], [best_value], marker="*", s=300, color="gold", edgecolor="black", zorder=4,
        label=f"best by {_CRITERION_LABELS[selection.criterion]}: {best.family}, {best.size}",
    )
    axes.set_xlabel("number of states" if hasattr(best.model, "transmat_") else "number of components")
    _integer_ticks(axes.xaxis)
    axes.set_ylabel(", ".join(_CRITERION_LABELS[c] for c in criteria if c != "elbo") or "ELBO")
    if elbo_axes is not axes:
        elbo_axes.set_ylabel("ELBO (higher is better)")
    handles, names = axes.get_legend_handles_labels()
    if elbo_axes is not axes:
        more_handles, more_names = elbo_axes.get_legend_handles_labels()
        handles, names = handles + more_handles, names + more_names
    axes.legend(handles, names, fontsize="small")
    axes.grid(alpha=0.3)
    axes.set_title("Model selection")
    return axes


# ---------------------------------------------------------------------------------------------- means
def plot_component_images(
    model: Any,
    image_shape: tuple[int, int],
    *,
    order: Sequence[int] | None = None,
    titles: Sequence[str] | None = None,
    n_columns: int | None = None,
    cmap: str = "gray_r",
    figure: Figure | None = None,
) -> Figure:
    """Each component's mean (Bernoulli ``probs``, Poisson ``rate``, Gaussian ``mean``) reshaped
    to ``image_shape`` and shown as an image, with a shared colour bar.

    Parameters
    ----------
    model : fitted Mixture or HMM whose components have one mean per feature
    image_shape : (rows, columns)
        Their product must equal the number of features.
    order : sequence of int, optional
        Components to show, in this order; default all, by decreasing weight.
    titles : sequence of str, optional
        One title per shown component; default its index and weight.
    n_columns : int, optional
        Images per row; default about the square root of their number.
    cmap : str, default "gray_r"
    figure : matplotlib Figure, optional
        An empty figure to draw in; a new one when omitted.

    Returns
    -------
    matplotlib Figure
    """
    values, label = _mean_table(_fitted(model))
    if values.ndim != 2:
        raise ValueError(
            "component images need one mean per feature; categorical probabilities are drawn by "
            "plot_component_heatmap"
        )
    rows, columns = (int(s) for s in image_shape)
    if rows * columns != values.shape[1]:
        raise ValueError(
            f"image_shape {tuple(image_shape)} holds {rows * columns} pixels but the model has "
            f"{values.shape[1]} features"
        )
    weights = _weights(model, values.shape[0])
    shown = list(order) if order is not None else list(np.argsort(-weights, kind="stable"))
    if titles is not None and len(titles) != len(shown):
        raise ValueError(f"titles has {len(titles)} entries for {len(shown)} images")
    n_columns = n_columns or int(np.ceil(np.sqrt(len(shown))))
    n_rows = int(np.ceil(len(shown) / n_columns))
    if figure is None:
        figure = _pyplot().figure(figsize=(1.6 * n_columns + 1.2, 1.7 * n_rows + 0.6), layout="constrained")
    grid = figure.subplots(n_rows, n_columns, squeeze=False)
    limits = (0.0, 1.0) if label == "probability" else (float(values.min()), float(values.max()))
    image = None
    for position, axis in enumerate(grid.flat):
        axis.set_xticks([])
        axis.set_yticks([])
        if position >= len(shown):
            axis.set_axis_off()
            continue
        k = int(shown[position])
        image = axis.imshow(values[k].reshape(rows, columns), cmap=cmap, vmin=limits[0], vmax=limits[1])
        axis.set_title(titles[position] if titles is not None else f"{k}: π={weights[k]:.2f}", fontsize=9)
    if image is not None:
        figure.colorbar(image, ax=grid, shrink=0.8, label=label)
    return figure


def plot_component_heatmap(model: Any, *, ax: Axes | None = None, cmap: str = "viridis") -> Axes:
    """Component means as a heatmap: one row per component, one column per feature (Bernoulli
    ``probs``, Poisson ``rate``, Gaussian ``mean``), or per feature and category for a
    Categorical (``probs`` of shape ``(K, D, C)``, features separated by white lines).

    Parameters
    ----------
    model : fitted Mixture or HMM
    ax : matplotlib Axes, optional
    cmap : str, default "viridis"

    Returns
    -------
    matplotlib Axes
    """
    values, label = _mean_table(_fitted(model))
    n_components = values.shape[0]
    weights = _weights(model, n_components)
    axes = _axes(ax, figsize=(max(6.4, 0.25 * values[0].size + 2), 0.45 * n_components + 1.8))
    limits = (0.0, 1.0) if label == "probability" else (None, None)
    table = values.reshape(n_components, -1)
    image = axes.imshow(table, aspect="auto", cmap=cmap, vmin=limits[0], vmax=limits[1],
                        interpolation="nearest")
    axes.figure.colorbar(image, ax=axes, label=label)
    axes.set_yticks(range(n_components))
    if hasattr(model, "weights_"):
        axes.set_yticklabels([f"{k} (π={weights[k]:.2f})" for k in range(n_components)])
    axes.set_ylabel("component" if hasattr(model, "weights_") else "state")
    if values.ndim == 3:  # categorical: feature-major columns, C categories each
        n_features, n_categories = values.shape[1:]
        for boundary in range(1, n_features):
            axes.axvline(boundary * n_categories - 0.5, color="white", linewidth=2)
        axes.set_xticks([d * n_categories + (n_categories - 1) / 2 for d in range(n_features)])
        axes.set_xticklabels([str(d) for d in range(n_features)])
        axes.set_xlabel(f"feature (each split into its {n_categories} categories)")
    else:
        axes.set_xlabel("feature")
    axes.set_title(f"{model.family_.name}: {label} per component")
    return axes


# ---------------------------------------------------------------------------------------------- HMM
def _runs(states: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Start index and length of every run of equal consecutive states."""
    changes = np.flatnonzero(np.diff(states)) + 1
    starts = np.concatenate([[0], changes])
    ends = np.concatenate([changes, [states.size]])
    return starts, ends - starts


def plot_hmm_states(
    model: Any,
    X: Any,
    *,
    lengths: Any = None,
    states: Any = None,
    features: Sequence[int] | None = None,
    ax: Axes | None = None,
    colors: Sequence[Any] | None = None,
    feature_names: Sequence[str] | None = None,
) -> Axes:
    """A time series with its decoded states as coloured bands behind it.

    Parameters
    ----------
    model : fitted HMM (or any fitted model with ``predict``)
    X : array (n_samples, n_features)
        The observations, sequences concatenated along the rows.
    lengths : sequence of int, optional
        Sequence lengths (as for ``HMM.fit``); boundaries are drawn as dashed lines.
    states : array (n_samples,) of int, optional
        The states to show; default the Viterbi path, ``model.predict(X, lengths=lengths)``.
    features : sequence of int, optional
        Features drawn as lines; default all.
    ax : matplotlib Axes, optional
    colors : sequence of colours, optional
        One per state.
    feature_names : sequence of str, optional
        One name per feature, for the legend; default the column names the model was fitted
        with (``feature_names_in_``), else ``feature 0``, ``feature 1``...

    Returns
    -------
    matplotlib Axes
        One band collection per state that occurs, each with one rectangle per run of that state.
    """
    import matplotlib

    x = as_data_matrix(X)
    n_states = len(_fitted(model))
    sequence_lengths = check_lengths(lengths, x.shape[0])
    if states is None:
        path = np.asarray(
            model.predict(x, lengths=lengths) if lengths is not None else model.predict(x), dtype=np.intp
        )
    else:
        path = np.asarray(states)
        if path.shape != (x.shape[0],) or path.dtype.kind not in "iu":
            raise ValueError(
                f"states must be integers of shape ({x.shape[0]},); got {path.dtype} {path.shape}"
            )
        if path.size and (path.min() < 0 or path.max() >= n_states):
            raise ValueError(f"states must lie in [0, {n_states}); got values up to {int(path.max())}")
    shown = list(range(x.shape[1])) if features is None else [int(f) for f in features]
    if not shown or not all(0 <= f < x.shape[1] for f in shown):
        raise ValueError(f"features must be indices in [0, {x.shape[1]}); got {features!r}")
    line_names = _feature_names(model, feature_names, x.shape[1])
    colours = list(colors) if colors is not None else _colours(n_states)
    if len(colours) < n_states:
        raise ValueError(f"colors has {len(colours)} entries but the model has {n_states} states")

    axes = _axes(ax, figsize=(10, 3.5))
    time = np.arange(x.shape[0])
    band = axes.get_xaxis_transform()  # x in data units, y from 0 to 1 of the axes height
    starts, widths = _runs(path)
    for k in range(n_states):
        mine = path[starts] == k
        if mine.any():
            axes.broken_barh(
                list(zip(starts[mine] - 0.5, widths[mine], strict=True)), (0, 1),
                transform=band, facecolor=colours[k], alpha=0.25, label=f"state {k}",
            )
    # lines in dark colours of their own, so they do not read as states
    dark = matplotlib.colormaps["Dark2"]
    line_colours = ["black"] if len(shown) == 1 else [dark(n % dark.N) for n in range(len(shown))]
    ends = np.cumsum(sequence_lengths)
    for position, f in enumerate(shown):
        for end, length in zip(ends, sequence_lengths, strict=True):  # no line across boundaries
            rows = slice(end - length, end)
            axes.plot(time[rows], x[rows, f], linewidth=0.8, color=line_colours[position],
                      label=line_names[f] if len(shown) > 1 and end == ends[0] else None)
    for boundary in ends[:-1]:
        axes.axvline(boundary - 0.5, color="black", linestyle="--", linewidth=1)
    axes.set_xlim(-0.5, x.shape[0] - 0.5)
    axes.set_xlabel("time step" + (" (sequences concatenated)" if len(sequence_lengths) > 1 else ""))
    axes.set_ylabel(line_names[shown[0]] if len(shown) == 1 else "observation")
    axes.set_title(f"Decoded states ({n_states}-state {model.family_.name} HMM)")
    axes.legend(fontsize="small", loc="upper right", ncol=min(n_states + len(shown), 6))
    return axes


# ---------------------------------------------------------------------------------------------- overview
def plot_fit(
    model: Any,
    X: Any,
    *,
    lengths: Any = None,
    features: Sequence[int] | None = None,
    feature_names: Sequence[str] | None = None,
) -> Figure:
    """An overview of one fit: the model over the data, and the objective curve beside it.

    The left panel is the decoded states for an HMM, the Gaussian ellipses for a Gaussian
    mixture of two or more features (the first two, or ``features``), and a heatmap of the
    component means otherwise.

    Parameters
    ----------
    model : fitted Mixture or HMM
    X : array (n_samples, n_features)
        The data it was fitted to (or other data of the same width).
    lengths : sequence of int, optional
        Sequence lengths, for an HMM.
    features : sequence of int, optional
        The features of the ellipse panel (a pair; default the first two), or of an HMM's lines
        (default all).
    feature_names : sequence of str, optional
        One name per feature, for axes and legends; default the column names the model was
        fitted with (``feature_names_in_``), else ``feature 0``, ``feature 1``...

    Returns
    -------
    matplotlib Figure
    """
    components = _fitted(model)
    x = as_data_matrix(X)
    is_hmm = hasattr(model, "transmat_")
    figure, (main, curve) = _pyplot().subplots(
        1, 2, figsize=(13 if is_hmm else 12, 5), layout="constrained",
        gridspec_kw={"width_ratios": [2, 1] if is_hmm else [1, 1]},
    )
    is_gaussian = hasattr(components, "covariance") or hasattr(components, "variance")
    if is_hmm:
        plot_hmm_states(model, x, lengths=lengths, ax=main, features=features, feature_names=feature_names)
    elif is_gaussian and x.shape[1] >= 2:
        plot_gaussian_components(
            model, x, ax=main, features=features if features is not None else (0, 1),
            feature_names=feature_names,
        )
    else:
        plot_component_heatmap(model, ax=main)
    plot_objective(model, ax=curve)
    curve.set_title(f"{'VB' if model.inference == 'vb' else 'EM'}: {_objective_name(model)}")
    return figure
