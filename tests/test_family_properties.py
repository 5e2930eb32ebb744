"""Every property of the testing kit, over every registered family (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mixtures.families.completion import CannotMarginalise
from mixtures.testing import BUILTIN_CASES, PROPERTIES, check_family, properties
from mixtures.testing.strategies import Problem, problems

CASES = {case.name: case for case in BUILTIN_CASES}


@pytest.mark.parametrize("check", PROPERTIES, ids=lambda check: check.__name__)
@pytest.mark.parametrize("name", sorted(CASES))
def test_property_holds(name: str, check) -> None:
    @given(problem=problems(CASES[name]))
    def run(problem: Problem) -> None:
        check(problem)

    if check is properties.assert_missing_is_marginal and name == "multinomial":
        with pytest.raises(CannotMarginalise):  # refused: check_family skips it with a note
            run()
        return

    run()


def test_check_family_runs_on_a_builtin() -> None:
    check_family(CASES["poisson"].family, max_examples=5)


def test_check_family_needs_data_for_unknown_family() -> None:
    class Unregistered(type(CASES["poisson"].family)):  # type: ignore[misc]
        pass

    with pytest.raises(ValueError, match="needs example data"):
        check_family(Unregistered())


@given(st.data())
def test_properties_detect_a_wrong_gradient(data: st.DataObject) -> None:
    """The gradient check must fail on a family whose natural_to_mean is off (it can fail)."""
    import attrs

    from mixtures.families import Poisson

    @attrs.frozen(kw_only=True)
    class BrokenPoisson(Poisson):
        def natural_to_mean(self, natural):  # type: ignore[no-untyped-def]
            return 1.01 * super().natural_to_mean(natural)

    case = attrs.evolve(CASES["poisson"], family=BrokenPoisson())
    problem = data.draw(problems(case))
    with pytest.raises(AssertionError, match="∇A"):
        properties.assert_gradient_is_mean(problem)
