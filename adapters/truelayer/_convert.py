"""The one cattrs converter of the Data API's answers: strict types, unknown fields kept.

Strict where a drift would hide a bug: a string field takes only a JSON string (cattrs
would otherwise turn ``12`` into ``"12"``), a list field only a JSON array (not the
characters of a string), an amount only a finite number. Lenient where TrueLayer may grow:
fields a model does not name go to its ``extra`` mapping and come back out on
``unstructure``, so ``structure(unstructure(x)) == x``. Error messages name the path of
the bad field (``$.results[0].amount``) and the expected type, never the value (it may be
personal data).
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

__all__ = ["converter", "describe", "structure", "unstructure"]

T = TypeVar("T")

converter = cattrs.Converter(detailed_validation=True)


def _string(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _boolean(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected a boolean")
    return value


def _amount(value: object, _: object) -> Decimal:
    # bool is an int in Python: true is not an amount.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("expected a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number")
    try:
        amount = Decimal(str(value))  # str() first: 0.1 stays 0.1, not its binary value
    except ArithmeticError:
        raise ValueError("expected a number") from None
    if not amount.is_finite():
        raise ValueError("expected a finite number")
    return amount


def _moment(value: object, _: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError("expected an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("expected an ISO 8601 time") from None
    # TrueLayer's own examples show times without an offset; they are UTC.
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _mapping(value: object, _: object) -> Mapping[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise TypeError("expected an object")
    return dict(value)


def _is_homogeneous_tuple(kind: Any) -> bool:
    args = typing.get_args(kind)
    return typing.get_origin(kind) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_of(kind: Any) -> Callable[[object, object], tuple[Any, ...]]:
    item = typing.get_args(kind)[0]

    def structure(value: object, _: object) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise TypeError("expected an array")
        return tuple(converter.structure(element, item) for element in value)

    return structure


def _has_extra(kind: Any) -> bool:
    return attrs.has(kind) and "extra" in attrs.fields_dict(kind)


def _model_structure(kind: Any) -> Callable[[object, object], Any]:
    base = make_dict_structure_fn(kind, converter, extra=override(omit=True))
    known = frozenset(name for name in attrs.fields_dict(kind) if name != "extra")

    def structure(value: object, _: object) -> Any:
        if not isinstance(value, dict):
            raise TypeError("expected an object")
        made = base(value, kind)
        rest = {key: item for key, item in value.items() if key not in known}
        return attrs.evolve(made, extra=rest) if rest else made

    return structure


def _model_unstructure(kind: Any) -> Callable[[Any], dict[str, Any]]:
    base = make_dict_unstructure_fn(
        kind, converter, _cattrs_omit_if_default=True, extra=override(omit=True)
    )

    def unstructure(value: Any) -> dict[str, Any]:
        return {**value.extra, **base(value)}

    return unstructure


converter.register_structure_hook(str, _string)
converter.register_structure_hook(bool, _boolean)
converter.register_structure_hook(Decimal, _amount)
converter.register_structure_hook(datetime, _moment)
converter.register_structure_hook_func(lambda kind: kind == Mapping[str, Any], _mapping)
converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_of)
converter.register_structure_hook_factory(_has_extra, _model_structure)
converter.register_unstructure_hook_factory(_has_extra, _model_unstructure)
converter.register_unstructure_hook(Decimal, float)
converter.register_unstructure_hook(
    datetime, lambda moment: moment.isoformat().replace("+00:00", "Z")
)


def _formatted(error: BaseException, kind: type | None) -> str:
    # cattrs' default formatter may quote an exception's text, which may quote the value.
    if isinstance(error, KeyError):
        return "required field missing"
    name = getattr(kind, "__name__", None) if kind is not None else None
    return f"expected {name}" if name else "invalid value"


def describe(error: Exception) -> str:
    """What is wrong, by path and expected type (no values), for an error message."""
    messages = cattrs.transform_error(error, format_exception=_formatted)
    return "; ".join(messages[:5])


def structure(value: object, kind: type[T]) -> T:
    """``value`` (parsed JSON) as ``kind``.

    Raises:
        cattrs.BaseValidationError: a field is missing or of the wrong type.
        TypeError, ValueError: ``value`` itself is not what ``kind`` needs.
    """
    return converter.structure(value, kind)


def unstructure(value: object) -> Any:
    """``value`` as plain JSON-ready data, ``extra`` fields included."""
    return converter.unstructure(value)
