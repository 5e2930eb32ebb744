"""Griffe extension: give each attrs class the ``__init__`` that attrs writes at run time.

The library's values (families, priors, parameters, online modes) are ``@attrs.frozen`` classes
whose constructor exists only once attrs has run, so static analysis sees no signature: the API
pages would show ``Gaussian`` without ``reg_covar=1e-6``, and a numpy-style "Parameters" section
would be reported as naming parameters that do not exist. This extension reads the annotated
fields (inherited ones first, as attrs orders them) and adds the matching ``__init__``.
"""

from __future__ import annotations

from typing import Any

import griffe

ATTRS_DECORATORS = frozenset(
    f"{module}.{name}"
    for module in ("attrs", "attr")
    for name in ("frozen", "define", "mutable", "s", "attrs")
)
FIELD_FUNCTIONS = frozenset({"attrs.field", "attr.field", "attr.ib", "attr.attrib"})


def _call_keywords(expression: Any) -> dict[str, Any]:
    """``{name: value}`` of the keyword arguments of a call expression (empty for anything else)."""
    if not isinstance(expression, griffe.ExprCall):
        return {}
    return {
        argument.name: argument.value
        for argument in expression.arguments
        if isinstance(argument, griffe.ExprKeyword)
    }


def _attrs_decorator(class_: griffe.Class) -> griffe.Decorator | None:
    for decorator in class_.decorators:
        if isinstance(decorator.value, griffe.Expr) and decorator.value.canonical_path in ATTRS_DECORATORS:
            return decorator
    return None


def _own_fields(class_: griffe.Class) -> list[griffe.Parameter]:
    """The constructor parameters contributed by the fields written in ``class_`` itself."""
    decorator = _attrs_decorator(class_)
    assert decorator is not None
    class_keyword_only = str(_call_keywords(decorator.value).get("kw_only")) == "True"
    parameters = []
    for member in class_.members.values():
        if not isinstance(member, griffe.Attribute) or member.annotation is None:
            continue
        # ClassVar annotations and properties are not fields
        labels = member.labels
        if "property" in labels or ("class-attribute" in labels and "instance-attribute" not in labels):
            continue
        value = member.value
        is_field_call = isinstance(value, griffe.ExprCall) and value.canonical_path in FIELD_FUNCTIONS
        keywords = _call_keywords(value) if is_field_call else {}
        if str(keywords.get("init")) == "False":
            continue
        if "factory" in keywords:
            default: Any = griffe.ExprCall(function=keywords["factory"], arguments=[])
        elif is_field_call:
            default = keywords.get("default")
        else:
            default = value
        keyword_only = class_keyword_only or str(keywords.get("kw_only")) == "True"
        # attrs strips leading underscores from private fields' parameter names
        name = str(keywords["alias"]).strip("\"'") if "alias" in keywords else member.name.lstrip("_")
        parameters.append(
            griffe.Parameter(
                name,
                annotation=member.annotation,
                kind=griffe.ParameterKind.keyword_only if keyword_only
                else griffe.ParameterKind.positional_or_keyword,
                default=default,
                docstring=member.docstring,
            )
        )
    return parameters


def _constructor_parameters(class_: griffe.Class) -> list[griffe.Parameter]:
    try:
        lineage = [*reversed(class_.mro()), class_]
    except ValueError:  # a base that cannot be resolved: document the class's own fields
        lineage = [class_]
    by_name: dict[str, griffe.Parameter] = {}
    for ancestor in lineage:
        if _attrs_decorator(ancestor) is None:
            continue
        for parameter in _own_fields(ancestor):
            by_name.pop(parameter.name, None)  # a redefinition takes the subclass's place
            by_name[parameter.name] = parameter
    positional = [p for p in by_name.values() if p.kind is not griffe.ParameterKind.keyword_only]
    keyword_only = [p for p in by_name.values() if p.kind is griffe.ParameterKind.keyword_only]
    return positional + keyword_only


def _add_constructors(scope: griffe.Module | griffe.Class, seen: set[str]) -> None:
    if scope.path in seen:
        return
    seen.add(scope.path)
    if isinstance(scope, griffe.Class) and "__init__" not in scope.members and _attrs_decorator(scope):
        self_parameter = griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)
        constructor = griffe.Function(
            "__init__",
            lineno=0,
            endlineno=0,
            parent=scope,
            parameters=griffe.Parameters(self_parameter, *_constructor_parameters(scope)),
            returns="None",
        )
        scope.set_member("__init__", constructor)
    for member in scope.members.values():
        if not member.is_alias and (member.is_module or member.is_class):
            _add_constructors(member, seen)  # type: ignore[arg-type]


class AttrsConstructors(griffe.Extension):
    """Adds the attrs-generated ``__init__`` to every attrs class of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        _add_constructors(pkg, set())
