"""Rebuild the industry-code tables shipped in ``src/clusterwatch/data/codes`` from the shared real data.

Rows that come from a public dataset are rebuilt from ``shared/data`` every time; rows written by hand from the
published classifications (their ``source`` column says so, see ``PROVENANCE.md``) are kept from the shipped
tables as they are. The output is byte-for-byte deterministic (sorted rows, gzip without a timestamp), so running
the script on an unchanged checkout leaves ``git status`` clean.

Usage::

    python bench/make_code_tables.py [--out DIR] [--check] [--shared DIR]

``--out`` writes somewhere else (default: the package's data folder); ``--check`` writes nothing and exits 1 when
a rebuilt table differs from the shipped one; ``--shared`` points at the shared data folder (default:
``$CLUSTERWATCH_SHARED_DATA`` or ``../shared/data`` beside the repository).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
CODES = REPO / "src" / "clusterwatch" / "data" / "codes"

#: ``source`` values of rows written by hand; everything else is rebuilt from the shared data.
AUTHORED = {"census_naics2017", "authored", "eurostat_nace_rev2", "companies_house_list"}
NAICS_LEVELS = {2: "sector", 3: "subsector", 4: "industry_group", 5: "industry", 6: "national_industry"}
NAICS_SECTOR_RANGES = {
    "31": "31-33",
    "32": "31-33",
    "33": "31-33",
    "44": "44-45",
    "45": "44-45",
    "48": "48-49",
    "49": "48-49",
}
# CMP disambiguates subclusters that share a name across clusters with a suffix such as " (CES)"
SUBCLUSTER_SUFFIX = r"\s+\((?:CES|LU|MT|UMM|DMP)\)$"


def _read_shipped(name: str) -> pd.DataFrame:
    path = CODES / name
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _csv_bytes(frame: pd.DataFrame, *, gz: bool) -> bytes:
    text = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    return gzip.compress(text, compresslevel=9, mtime=0) if gz else text


def build_naics(shared: Path) -> pd.DataFrame:
    """NAICS 2017 (2 to 6 digits) plus discontinued codes seen in the shared data, one row per code."""
    shipped = _read_shipped("naics.csv.gz")
    authored = shipped[shipped["source"].isin(AUTHORED)]
    six = pd.read_csv(shared / "ppp_montana" / "naics-6-digit-codes.csv", dtype=str, encoding="utf-8-sig")
    six = pd.DataFrame(
        {
            "code": six["naics"].str.strip(),
            "title": six["industry"].str.strip().str.replace("\u2019", "'", regex=False),  # as Census writes it
            "vintage": "2017",
            "source": "ppp_montana",
        }
    )
    # a 5-digit industry with a single 6-digit national industry (code ending in 0) carries the same title
    prefix = six["code"].str[:5]
    single = six[prefix.map(prefix.value_counts()).eq(1) & six["code"].str.endswith("0")]
    five = pd.DataFrame(
        {
            "code": single["code"].str[:5],
            "title": single["title"].to_numpy(),
            "vintage": "2017",
            "source": "single_child",
        }
    )
    rows = pd.concat([authored[["code", "title", "vintage", "source"]], six, five], ignore_index=True)
    if rows["code"].duplicated().any():
        raise SystemExit(f"duplicate NAICS codes: {sorted(rows.loc[rows['code'].duplicated(), 'code'])[:10]}")
    rows["level"] = rows["code"].map(lambda c: "sector" if "-" in c else NAICS_LEVELS[len(c)])
    known = set(rows["code"])

    def parent(code: str) -> str | None:
        if "-" in code or len(code) == 2:
            return None
        if len(code) == 3:
            return NAICS_SECTOR_RANGES.get(code[:2], code[:2])
        for n in range(len(code) - 1, 2, -1):  # longest prefix in the table (discontinued codes skip levels)
            if code[:n] in known:
                return code[:n]
        return NAICS_SECTOR_RANGES.get(code[:2], code[:2])

    rows["parent"] = rows["code"].map(parent)
    missing = set(rows["parent"].dropna()) - known
    if missing:
        raise SystemExit(f"NAICS parents without a row: {sorted(missing)[:10]}")
    order = rows["code"].str.split("-").str[0].str.ljust(6, " ")  # "31-33" sorts as "31"
    rows = rows.assign(_o=order).sort_values(["_o", "code"]).drop(columns="_o")
    return rows[["code", "level", "title", "parent", "vintage", "source"]]


def build_nace2(shared: Path) -> pd.DataFrame:
    """NACE Rev. 2 is written by hand in full (no NACE table exists in the shared data); kept as shipped."""
    return _read_shipped("nace2.csv")


def build_uksic2007(shared: Path) -> pd.DataFrame:
    """UK SIC 2007 five-digit codes: titles seen in the Companies House sample, the rest as written by hand."""
    shipped = _read_shipped("uksic2007.csv")
    sample = pd.read_csv(
        shared / "companies_house_sample" / "BasicCompanyDataAsOneFile-2020-05-01_sample.csv",
        dtype=str,
        usecols=[f"SICCode.SicText_{i}" for i in range(1, 5)],
    )
    text = pd.concat([sample[c] for c in sample.columns]).dropna()
    parts = text.str.extract(r"^\s*(\d{5})\s*-\s*(.+?)\s*$").dropna().drop_duplicates()
    parts[1] = parts[1].str.replace(r"\s+", " ", regex=True)
    seen = dict(zip(parts[0], parts[1], strict=True))
    unknown = set(seen) - set(shipped["code"])
    if unknown:
        raise SystemExit(f"UK SIC codes in the Companies House sample but not in the table: {sorted(unknown)}")
    out = shipped.copy()
    in_sample = out["code"].isin(seen)
    mismatch = out[in_sample & (out["code"].map(seen) != out["title"])]
    if len(mismatch):
        raise SystemExit(f"hand-written titles differ from the Companies House sample:\n{mismatch}")
    out["source"] = in_sample.map({True: "companies_house_sample", False: "companies_house_list"})
    return out.sort_values("code")[["code", "level", "title", "parent", "official", "source"]]


def build_sn2007(shared: Path) -> pd.DataFrame:
    """Norway's SN2007 five-digit codes with their Norwegian titles, as the Brønnøysund register records them."""
    frames = []
    for name in ("brreg_enheter_sample_with_text.csv.gz", "brreg_underenheter_sample.csv.gz"):
        data = pd.read_csv(shared / "norway_brreg" / name, dtype=str)
        for i in (1, 2, 3):
            pair = data[[f"naeringskode{i}.kode", f"naeringskode{i}.beskrivelse"]].dropna()
            frames.append(pair.set_axis(["code", "title"], axis=1))
    rows = pd.concat(frames).drop_duplicates()
    rows["code"] = rows["code"].str.replace(".", "", regex=False)
    rows = rows[rows["code"] != "00000"]  # "Uoppgitt" (not given) is a placeholder, not an activity
    if rows["code"].duplicated().any():
        raise SystemExit("an SN2007 code has two titles in the register")
    rows["parent"] = rows["code"].str[:4]
    rows["source"] = "brreg"
    return rows.sort_values("code")[["code", "title", "parent", "source"]]


def build_clusters_2007(shared: Path) -> pd.DataFrame:
    """US Cluster Mapping definitions on NAICS 2007 from ``cmp_clusters-list.json`` (67 clusters)."""
    clusters = json.loads((shared / "us_cluster_mapping" / "cmp_clusters-list.json").read_text(encoding="utf-8"))
    rows = []
    for cluster in clusters:
        code = int(cluster["id"].split("/")[-1])
        # ids 101-116 are the local clusters ("Local ..."); 1001-1011 the natural-resource clusters
        kind = "local" if 100 < code < 1000 else "resource" if code > 1000 else "traded"
        for naics in cluster["naics_txt"]:
            rows.append(
                {
                    "naics": naics,
                    "cluster_code": code,
                    "cluster_name": cluster["name_t"].strip(),
                    "subcluster": None,
                    "cluster_type": kind,
                    "traded": kind == "traded",
                    "emsi_specific": False,
                }
            )
    out = pd.DataFrame(rows)
    if out["naics"].duplicated().any():
        raise SystemExit("a NAICS 2007 code sits in two clusters")
    return out.sort_values("naics").reset_index(drop=True)


def build_clusters_2012(shared: Path) -> pd.DataFrame:
    """Delgado-Porter-Stern (2016) benchmark clusters on NAICS 2012 from the acr1 crosswalk workbook.

    Cluster codes are the US Cluster Mapping Project's own (1-51 traded, 101-116 local), matched by cluster name
    with the published results table ``aousabdo_all_states_clusters.csv``.
    """
    xwalk = pd.read_excel(
        shared / "us_cluster_mapping" / "acr1_NAICS_crosswalks_to_Cluster_system.xlsx", sheet_name=0, dtype=str
    )
    xwalk.columns = [str(c).strip() for c in xwalk.columns]
    published = pd.read_csv(
        shared / "us_cluster_mapping" / "aousabdo_all_states_clusters.csv",
        dtype=str,
        usecols=["cluster_name_t", "cluster_code_t", "cluster_type"],
    ).drop_duplicates()
    codes = dict(zip(published["cluster_name_t"].str.strip(), published["cluster_code_t"].astype(int), strict=True))
    cluster = xwalk["Cluster"].str.strip()
    keep = cluster.isin(codes)  # drops Emsi's government pseudo-clusters and the one row without a cluster
    x = xwalk[keep]
    out = pd.DataFrame(
        {
            "naics": x["NAICS"].str.strip(),
            "cluster_code": cluster[keep].map(codes).astype(int),
            "cluster_name": cluster[keep],
            "subcluster": x["SubclusterName"].str.strip().str.replace(SUBCLUSTER_SUFFIX, "", regex=True),
            "cluster_type": x["TradedLocal"].str.strip().str.lower(),
            "traded": x["TradedLocal"].str.strip().eq("Traded"),
            "emsi_specific": x["EmsiSpecificNAICS (non standard)"].str.strip().str.lower().eq("true"),
        }
    )
    if out["naics"].duplicated().any():
        raise SystemExit("a NAICS 2012 code sits in two clusters")
    unmatched = set(codes) - set(out["cluster_name"])
    if unmatched:
        raise SystemExit(f"published clusters absent from the crosswalk: {sorted(unmatched)}")
    return out.sort_values("naics").reset_index(drop=True)


TABLES: dict[str, tuple[Callable[[Path], pd.DataFrame], bool]] = {
    "naics.csv.gz": (build_naics, True),
    "nace2.csv": (build_nace2, False),
    "uksic2007.csv": (build_uksic2007, False),
    "sn2007_nb.csv.gz": (build_sn2007, True),
    "us_cluster_mapping_2007.csv.gz": (build_clusters_2007, True),
    "us_cluster_mapping_2012.csv.gz": (build_clusters_2012, True),
}


def main(argv: list[str] | None = None) -> int:
    """Rebuild every table; return 1 under ``--check`` when one differs from the shipped file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CODES)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared real-data folder")
    args = parser.parse_args(argv)
    if not args.shared.is_dir():
        print(f"shared data folder {args.shared} not found", file=sys.stderr)
        return 2
    differ = []
    for name, (build, gz) in TABLES.items():
        data = _csv_bytes(build(args.shared), gz=gz)
        if args.check:
            if (CODES / name).read_bytes() != data:
                differ.append(name)
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / name).write_bytes(data)
        rows = len(pd.read_csv(io.BytesIO(gzip.decompress(data) if gz else data)))
        print(f"{name}: {rows} rows")
    if differ:
        print(f"differ from the shipped tables: {', '.join(differ)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
