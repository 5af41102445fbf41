"""The generic adapter: any file whose columns carry canonical names, or are mapped with ``--column``."""

from __future__ import annotations

from clusterwatch.io.adapters.base import Extract, ReadOptions, apply_column_map, register
from clusterwatch.io.sources import read_table
from clusterwatch.schema import FIRM_COLUMNS, names


@register("generic", "any table with canonical column names (firm_id, lat, lon or postcode, code, founded ...)")
def read_generic(path: str, options: ReadOptions) -> Extract:
    """Read a generic table; canonical columns are used as they are, ``--column`` maps others.

    ``x``/``y`` columns with ``--crs`` are projected coordinates. ``--country`` fills a missing country.
    """
    raw = read_table(path, encoding=options.encoding or "utf-8", delimiter=options.delimiter)
    frame = apply_column_map(raw.frame, options.columns, path)
    keep = [c for c in [*names(FIRM_COLUMNS), "x", "y"] if c in frame.columns]
    rows = frame[[*keep, "_record", "_line"]].copy()
    if options.country and "country" not in rows.columns:
        rows["country"] = options.country
    if options.code_system and "code_system" not in rows.columns and "code" in rows.columns:
        rows["code_system"] = options.code_system
    date_formats = {c: options.date_format for c in ("founded", "dissolved")} if options.date_format else {}
    return Extract(
        path=path,
        rows=rows,
        rows_read=raw.rows_read,
        rejected=raw.rejected,
        crs=options.crs,
        date_formats=date_formats,
    )
