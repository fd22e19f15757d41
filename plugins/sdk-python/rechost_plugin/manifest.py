"""Manifest helpers: plain functions with keyword defaults that return the contract's records.

Enum values are the WIT spellings as strings ("utf8", "user-id", "interactions", ...); a wrong
one fails when the module is imported, i.e. while the component is built.
"""

import re

from .wit_types import types as wit


def _enum(enum, value, what):
    if isinstance(value, enum):
        return value
    key = str(value).upper().replace("-", "_")
    try:
        return enum[key]
    except KeyError:
        choices = ", ".join(m.name.lower().replace("_", "-") for m in enum)
        raise ValueError(f"{what} {value!r} is not one of: {choices}") from None


def column(name, data_type, nullable=True, categorical=False, role=None):
    """A column: data_type is utf8 | int64 | float64 | boolean | timestamp; role is
    user-id | item-id | event-type | event-time or None."""
    return wit.ColumnSpec(
        name=name,
        data_type=_enum(wit.DataType, data_type, f"column {name!r}: data type"),
        nullable=bool(nullable),
        categorical=bool(categorical),
        role=None if role is None else _enum(wit.ColumnRole, role, f"column {name!r}: role"),
    )


def source(table, columns, time_column):
    """The table the plugin reads; `time_column` names one of `columns` (a timestamp)."""
    names = [c.name for c in columns]
    if time_column not in names:
        raise ValueError(f"source time column {time_column!r} is not one of {names}")
    return wit.SourceSpec(table=table, columns=list(columns), time_column=time_column)


def events():
    """Reduction: every row is written."""
    return wit.Reduction_Events()


def entity(key, latest_by):
    """Reduction: one row per `key`, the greatest by `latest_by` (columns the transform
    appends after the dataset's columns)."""
    return wit.Reduction_Entity(wit.EntityReduction(key=key, latest_by=list(latest_by)))


def dataset(name, kind, columns, reduction=None):
    """An output dataset: kind is interactions | users | items | other."""
    reduction = events() if reduction is None else reduction
    if isinstance(reduction, wit.Reduction_Entity):
        names = [c.name for c in columns]
        if reduction.value.key not in names:
            raise ValueError(f"dataset {name!r}: key {reduction.value.key!r} is not one of {names}")
    return wit.DatasetSpec(
        name=name,
        kind=_enum(wit.DatasetKind, kind, f"dataset {name!r}: kind"),
        columns=list(columns),
        reduction=reduction,
    )


def recommender(name, min_interactions, event_type=None, needs_items=False):
    """A recommender needing `min_interactions` interactions (of `event_type`, or of any)."""
    return wit.RecommenderSpec(
        name=name,
        min_interactions=int(min_interactions),
        event_type=event_type,
        needs_items=bool(needs_items),
    )


def option(name, description, default=""):
    """A setting users pass with `--option NAME=VALUE`."""
    return wit.OptionSpec(name=name, description=description, default_value=default)


def manifest(
    name, version, domain, source, datasets, description="", recommenders=(), options=()
):
    """The whole manifest. `domain`: ECOMMERCE, VIDEO_ON_DEMAND or your own (letters, digits,
    `_`, `-`: it names the readiness report file)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", domain):
        raise ValueError(f"manifest domain {domain!r} must be letters, digits, '_' or '-'")
    return wit.Manifest(
        name=name,
        version=version,
        description=description,
        domain=domain,
        source=source,
        datasets=list(datasets),
        recommenders=list(recommenders),
        options=list(options),
    )
