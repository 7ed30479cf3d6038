"""The DuckDB models as Spark SQL (issue 19): one source of SQL, transpiled by a pinned sqlglot.

sqlglot passes a function it does not know through unchanged, even in strict mode, and prints
some it does know in a form whose result differs on Spark (field notes, docs/spark.md). This
module therefore fails closed: every function of a model must be either in KNOWN (sqlglot's
Spark output for it checked to give DuckDB's result, by tests/spark/) or rewritten here;
anything else stops the run with its name (`UnknownFunction`), never passed through.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

SQLGLOT_VERSION = "30.31.0"  # the version these rewrites were checked with (pyproject pins it)


class UnknownFunction(ValueError):
    """A model uses a function that this module has not checked for Spark."""


# sqlglot nodes whose Spark SQL gives the DuckDB result on the models' types (tests/spark/
# test_models.py runs each of them on both engines). Operators (+, ||, =, and, case...) are
# not functions and are not listed.
KNOWN: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.And,
        exp.Or,
        exp.Case,
        exp.If,
        exp.Cast,
        exp.TryCast,
        exp.Coalesce,
        exp.ConcatWs,
        exp.Count,
        exp.Sum,
        exp.Min,
        exp.Max,
        exp.Greatest,
        exp.Least,
        exp.Length,
        exp.Substring,
        exp.Pad,
        exp.Round,
        exp.RowNumber,
        exp.Lead,
        exp.Explode,
        exp.RegexpReplace,
        # the CSV reader's field splitting (pipeline.inputs.cdrs.csv_fields, loader.py)
        exp.Nullif,
        exp.Trim,
        exp.Contains,
        exp.StartsWith,
        exp.EndsWith,
        exp.Split,
        exp.Transform,
        exp.RegexpExtract,
        exp.RegexpExtractAll,
        exp.Replace,
        exp.ArraySize,
    }
)

# The only types a model may cast to: their text forms and ranges agree on both engines.
CAST_TYPES = frozenset(
    {
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.TEXT,
        exp.DataType.Type.BIGINT,
        exp.DataType.Type.INT,
        exp.DataType.Type.DATE,
        exp.DataType.Type.DECIMAL,
        exp.DataType.Type.TIMESTAMPTZ,
        exp.DataType.Type.TIMESTAMPNTZ,  # Spark TIMESTAMP_NTZ: the wall-clock time in Paris
        exp.DataType.Type.BOOLEAN,
    }
)


def _regexp_full_match(node: exp.RegexpFullMatch) -> exp.Expression:
    # Spark has no regexp_full_match: RLIKE finds a match anywhere, so anchor the pattern
    # (\z: the very end, where $ would also match before a final line break)
    pattern = node.expression
    if not isinstance(pattern, exp.Literal) or not pattern.is_string:
        raise UnknownFunction("regexp_full_match with a pattern that is not a literal")
    anchored = exp.Literal.string(f"^(?:{pattern.this})\\z")
    return exp.RegexpLike(this=node.this, expression=anchored)


def _epoch_us(node: exp.Anonymous) -> exp.Expression:
    (arg,) = node.expressions
    return exp.Anonymous(this="unix_micros", expressions=[arg])


def _hash(node: exp.Anonymous) -> exp.Expression:
    # DuckDB's hash() is 64 bits, Spark's 32: xxhash64 keeps the width the models rely on
    # (stg_cdrs uses it only to find duplicate candidates, judged exactly afterwards: the
    # values may differ between engines, the rows chosen do not)
    return exp.Anonymous(this="xxhash64", expressions=list(node.expressions))


# DuckDB strftime directives -> Spark datetime pattern letters (the ones the models use).
# %z: DuckDB prints +02 for Paris; Spark's 'x' prints +02 too (its 'Z' would print +0200).
# %f: the microseconds, six digits in both.
_STRFTIME = {
    "%Y": "yyyy",
    "%m": "MM",
    "%d": "dd",
    "%H": "HH",
    "%M": "mm",
    "%S": "ss",
    "%f": "SSSSSS",
    "%z": "x",
}


def _strftime(node: exp.TimeToStr) -> exp.Expression:
    fmt = node.args.get("format")
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        raise UnknownFunction("strftime with a format that is not a literal")
    out, text = [], fmt.this
    for token in re.findall(r"%.|[^%]+", text):
        if token.startswith("%"):
            if token not in _STRFTIME:
                raise UnknownFunction(f"strftime directive {token}")
            out.append(_STRFTIME[token])
        else:
            out.append("'" + token.replace("'", "''") + "'" if token.strip(" -:") else token)
    return exp.Anonymous(
        this="date_format", expressions=[node.this, exp.Literal.string("".join(out))]
    )


def _bracket(node: exp.Bracket) -> exp.Expression:
    # a list index beyond the end is NULL in DuckDB and an error in Spark's ANSI mode:
    # try_element_at is NULL there too (1-based; sqlglot holds the index 0-based)
    (index,) = node.expressions
    if not (isinstance(index, exp.Literal) and not index.is_string):
        raise UnknownFunction("a list index that is not a whole-number literal")
    return exp.Anonymous(
        this="try_element_at",
        expressions=[node.this, exp.Literal.number(int(index.this) + 1)],
    )


REWRITES = {
    exp.RegexpFullMatch: _regexp_full_match,
    exp.TimeToStr: _strftime,
    exp.Bracket: _bracket,
}
ANONYMOUS_REWRITES = {"epoch_us": _epoch_us, "hash": _hash}


def _check_and_rewrite(node: exp.Expression, model: str) -> exp.Expression:
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        if name not in ANONYMOUS_REWRITES:
            raise UnknownFunction(f"{model}: function {name}() is not known on Spark")
        return ANONYMOUS_REWRITES[name](node)
    rewrite = REWRITES.get(type(node))
    if rewrite is not None:
        return rewrite(node)
    if isinstance(node, exp.Func) and type(node) not in KNOWN:
        # named as the model writes it (sqlglot's own name may be another: list_sort is
        # ArraySort), and by sqlglot's class, which is what KNOWN lists
        written = node.sql("duckdb").split("(")[0].lower()
        raise UnknownFunction(
            f"{model}: function {written}() (sqlglot {type(node).__name__}) is not known on "
            "Spark: check it there, then list it in KNOWN or rewrite it "
            "(pipeline/rating/spark/transpile.py)"
        )
    if isinstance(node, exp.Cast | exp.TryCast):
        target = node.to.this
        if target not in CAST_TYPES:
            raise UnknownFunction(f"{model}: cast to {node.to.sql('duckdb')} is not known on Spark")
    return node


def to_spark(sql: str, model: str = "model") -> str:
    """Spark SQL for one DuckDB model (a single select). Raises UnknownFunction naming the
    first function or cast this module has not checked."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise UnknownFunction(f"{model}: sqlglot cannot read it: {exc}") from exc
    tree = tree.transform(lambda n: _check_and_rewrite(n, model), copy=True)
    return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
