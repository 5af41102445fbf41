"""The generic adapter: any file whose columns carry canonical names, or are mapped with ``--column``."""

from __future__ import annotations

from clusterwatch.errors import InputError
from clusterwatch.io.adapters.base import Extract, ReadOptions, apply_column_map, register
from clusterwatch.io.sources import read_table
from clusterwatch.io.validate import decimal_comma_numbers
from clusterwatch.schema import FIRM_COLUMNS, names


@register("generic", "any table with canonical column names (firm_id, lat, lon or postcode, code, founded ...)")
def read_generic(path: str, options: ReadOptions) -> Extract:
    """Read a generic table; canonical columns are used as they are, ``--column`` maps others.

    ``x``/``y`` columns with ``--crs`` are projected coordinates. ``--country`` fills a missing country.
    """
    raw = read_table(path, encoding=options.encoding or "utf-8", delimiter=options.delimiter, sheet=options.sheet,
                     skip_rows=options.skip_rows)
    frame = apply_column_map(raw.frame, options.columns, path)
    require_location_columns(frame, path, crs=options.crs)
    keep = [c for c in [*names(FIRM_COLUMNS), "x", "y"] if c in frame.columns]
    rows = frame[[*keep, "_record", "_line"]].copy()
    notes: list[str] = []
    if raw.delimiter == ";":  # the separator of files whose numbers have decimal commas
        changed = []
        for col in ("lat", "lon", "x", "y", "employees"):
            if col in rows.columns:
                rows[col], n = decimal_comma_numbers(rows[col], integer=col == "employees")
                if n:
                    changed.append(f"{col}: {n:,}")
        if changed:
            notes.append("numbers with decimal commas (and dots between thousands) read as such, the file being "
                         "';'-separated: " + ", ".join(changed))
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
        notes=notes,
    )


def require_location_columns(frame: object, path: str, *, crs: str | None) -> None:
    """Raise :class:`InputError` unless the table has ``firm_id`` and a way to locate rows.

    A location is ``lat`` and ``lon``, or ``x`` and ``y`` with a CRS, or ``postcode``.
    """
    columns = set(getattr(frame, "columns", []))
    shown = ", ".join(sorted(c for c in columns if not str(c).startswith("_")))[:300]
    if "firm_id" not in columns:
        raise InputError(
            f"required column is absent; map one with --column firm_id=SOURCE (columns found: {shown})",
            path=path,
            column="firm_id",
        )
    has_latlon = {"lat", "lon"} <= columns
    has_xy = {"x", "y"} <= columns and crs is not None
    if not (has_latlon or has_xy or "postcode" in columns):
        missing = "lon" if "lat" in columns else "lat"
        raise InputError(
            "no location: need lat and lon, x and y with --crs, or postcode (map with --column; "
            f"columns found: {shown})",
            path=path,
            column=missing,
        )
