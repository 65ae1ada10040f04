"""Benchmark: three-way reconciliation of N orders (default 1,000,000) with their payments and tracks.

Builds the reconciliation's *inputs* directly in a scratch DuckDB file at scale (the relations the
reconciliation models read: int_orders_unioned, fct_orders, int_order_tracking_numbers,
stg_tracks__parcels, stg_settlements__payments, fct_bank_receipts), then times

  * dbt: `dbt run` of exactly the reconciliation models (int_receipt_payments, int_payments_unioned,
    int_payment_orders_named, int_payment_allocations, fct_three_way_match), wall clock of the invocation
    and the models' own execution time from run_results.json;
  * pandas: the same rules in pandas on the same inputs (read into DataFrames first, not timed), with the
    multi-order allocation as a Python loop over payments in payment order (what a pandas user writes);

checks both give the same difference counts and paid totals, and prints the ratio pandas / dbt.
The ingest of 1M orders is not part of this: it is measured by bench/bench_ingest.py.

    .venv/bin/python bench/bench_reconcile.py [--orders 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
AS_OF = "2026-11-13 23:00:00"
MODELS = [
    "int_receipt_payments",
    "int_payments_unioned",
    "int_payment_orders_named",
    "int_payment_allocations",
    "fct_three_way_match",
]


def build_inputs(path: Path, n: int, seed: int = 7) -> dict:
    """Inputs at scale, generated in SQL (deterministic hashes of the row number)."""
    con = duckdb.connect(str(path))
    con.execute("set threads = 2")
    for s in ("raw", "staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {s}")
    h = f"cast(hash(i * 7919 + {seed}) % 1000000007 as bigint)"  # pseudo-random per row
    con.execute(
        f"""
        create table intermediate.int_orders_unioned as
        select
            case when {h} % 100 < 3 then 'erp:SO' || lpad(i::varchar, 12, '0')
                 else (['douyin','pinduoduo','taobao','miniprogram'])[1 + {h} % 4] || ':' || (5000000000 + i)::varchar
            end as order_key,
            case when {h} % 100 < 3 then 'erp' else (['douyin','pinduoduo','taobao','miniprogram'])[1 + {h} % 4] end
                as platform,
            case when {h} % 100 < 3 then 'SO' || lpad(i::varchar, 12, '0') else (5000000000 + i)::varchar end
                as order_no,
            cast(10 + ({h} // 7) % 50000 / 10.0 as decimal(18, 2)) as order_amount,
            timestamp '2025-11-14 00:00:00' + to_seconds(({h} // 11) % (365 * 86400)) as paid_at,
            ({h} // 13) % 1000 as r
        from range({n}) t(i)
        """
    )
    con.execute(
        """
        create table marts.fct_orders as
        select order_key, platform, order_no,
            case when r < 15 then null else paid_at end as paid_at,
            case when r < 15 then 'pending_payment' when r < 40 then 'refunded' when r < 55 then 'cancelled'
                 when r < 900 then 'completed' else 'shipped' end as status,
            order_amount,
            case when r >= 55 and r < 60 then null               -- never shipped
                 when r >= 60 and r < 90 then 'T' || order_key || ';T2' || order_key
                 when r >= 55 then 'T' || order_key end as tracking_nos
        from intermediate.int_orders_unioned
        """
    )
    con.execute(
        """
        create table intermediate.int_order_tracking_numbers as
        select order_key, 'T' || order_key as tracking_no, paid_at + interval 3 hour as first_scanned_at
        from intermediate.int_orders_unioned where r >= 60 or (r >= 15 and r < 55)
        union all
        select order_key, 'T2' || order_key, paid_at + interval 4 hour
        from intermediate.int_orders_unioned where r >= 60 and r < 90
        """
    )
    con.execute(
        f"""
        create table staging.stg_tracks__parcels as
        select tracking_no,
            case when hash(tracking_no) % 100 < 92 then '3' else (['0','5','2','14','6'])[1 + cast(hash(tracking_no) % 5 as bigint)] end
                as latest_state,
            first_scanned_at + interval 40 hour as latest_node_at
        from intermediate.int_order_tracking_numbers
        union all
        select 'ORPHAN' || i::varchar, '3', timestamp '2026-11-01 10:00:00'
        from range({max(2, n // 10000)}) t(i)
        """
    )
    con.execute(
        """
        create table staging.stg_settlements__payments as
        select platform, 'settlement:' || platform || ':JS' || order_no as payment_ref, 'JS' || order_no as settlement_no,
            order_no, order_key, paid_at + interval 3 day as settled_at,
            case when r between 500 and 530 then order_amount - 5 else order_amount end as amount
        from intermediate.int_orders_unioned where platform <> 'erp' and r >= 15 and r < 960
        union all
        select platform, 'settlement:' || platform || ':RF' || order_no, 'RF' || order_no, order_no, order_key,
            paid_at + interval 6 day, -order_amount
        from intermediate.int_orders_unioned where platform <> 'erp' and r >= 15 and r < 40
        """
    )
    # B2B receipts: consecutive ERP orders paired 20% of the time; 2% short; 1% need review; orphans
    con.execute(
        f"""
        create table marts.fct_bank_receipts as
        with erp as (
            select *, row_number() over (order by order_key) as k from intermediate.int_orders_unioned
            where platform = 'erp' and r >= 55 and r < 970
        ), grouped as (
            select *, case when k % 10 in (1, 2) then (k + 1) // 2 * 2 else k end as g from erp
        ), pays as (
            select g, list(order_no order by k) as order_nos, sum(order_amount) as amount, max(paid_at) as paid_at,
                min(r) as r
            from grouped group by g
        )
        select 'receipt:ICBC:' || g::varchar as receipt_ref, 'receipts/ICBC_' || g::varchar || '.png' as source_file,
            cast(paid_at + interval 2 day as date) as txn_date,
            cast(case when r % 50 = 0 then amount - 100 else amount end as decimal(18, 2)) as amount,
            'payer' || (g % 5000)::varchar as payer_name, order_nos, r % 100 = 7 as needs_review
        from pays
        union all
        select 'receipt:CCB:X' || i::varchar, 'receipts/CCB_X' || i::varchar || '.png', date '2026-10-01' + cast(i % 30 as integer),
            cast(100 + i as decimal(18, 2)), 'stranger' || (i % 7)::varchar,
            case when i % 3 = 0 then ['SO9' || i::varchar] else []::varchar[] end, false
        from range({max(6, n // 20000)}) t(i)
        """
    )
    counts = {
        t: con.execute(f"select count(*) from {t}").fetchone()[0]
        for t in (
            "marts.fct_orders",
            "staging.stg_settlements__payments",
            "marts.fct_bank_receipts",
            "intermediate.int_order_tracking_numbers",
            "staging.stg_tracks__parcels",
        )
    }
    con.close()
    return counts


def run_dbt(path: Path) -> tuple[float, float]:
    env = {**os.environ, "ORDERLENS_WAREHOUSE": str(path)}
    started = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "dbt"), "run", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--select", " ".join(MODELS), "--vars", json.dumps({"as_of": AS_OF})],
        cwd=ROOT, capture_output=True, text=True, env=env,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-4000:])
    results = json.loads((ROOT / "dbt_project" / "target" / "run_results.json").read_text())
    return wall, sum(r["execution_time"] for r in results["results"])


def reconcile_pandas(d: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The same rules in pandas (CONTRACT §2.1 as built in the dbt models)."""
    orders_all = d["int_orders_unioned"]
    o = d["fct_orders"]
    o = o[o["paid_at"].notna() & ~o["status"].isin(["cancelled", "refunded", "pending_payment"])]
    as_of = pd.Timestamp(AS_OF)
    # payments
    s = d["stg_settlements__payments"]
    s = s[s["settled_at"] <= as_of]
    sp = pd.DataFrame({"payment_ref": s["payment_ref"], "kind": "settlement", "platform": s["platform"],
                       "paid_at": s["settled_at"], "amount": s["amount"].astype(float),
                       "named": s["order_no"], "payer_name": None, "counted": True})  # fmt: skip
    r = d["fct_bank_receipts"]
    r = r[pd.to_datetime(r["txn_date"]) <= as_of.normalize()]
    rp = pd.DataFrame({"payment_ref": r["receipt_ref"], "kind": "receipt", "platform": None,
                       "paid_at": pd.to_datetime(r["txn_date"]), "amount": r["amount"].astype(float),
                       "named": r["order_nos"].map(lambda x: " ".join(x) if x is not None else ""),
                       "payer_name": r["payer_name"], "counted": ~r["needs_review"].fillna(True).astype(bool)})  # fmt: skip
    pays = pd.concat([sp, rp], ignore_index=True).sort_values(["paid_at", "payment_ref"], kind="stable")
    pays["seq"] = np.arange(len(pays))
    counted = pays[pays["counted"]]
    # naming
    sn = counted[counted["kind"] == "settlement"]
    sn = pd.DataFrame(
        {"payment_ref": sn["payment_ref"], "pos": 1, "order_key": sn["platform"] + ":" + sn["named"]}
    )
    rn = counted[counted["kind"] == "receipt"][["payment_ref", "named"]].copy()
    rn["order_no"] = rn["named"].str.split()
    rn = rn.explode("order_no").dropna(subset=["order_no"])
    rn["pos"] = rn.groupby("payment_ref").cumcount() + 1
    known = orders_all[["order_key", "platform", "order_no"]].copy()
    known["pref"] = (known["platform"] != "erp").astype(int)
    known = known.sort_values(["order_no", "pref", "platform"]).drop_duplicates("order_no")
    rn = rn.merge(known[["order_no", "order_key"]], on="order_no").drop_duplicates(
        ["payment_ref", "order_key"]
    )
    named = pd.concat([sn, rn[["payment_ref", "pos", "order_key"]]], ignore_index=True)
    named = named[named["order_key"].isin(orders_all["order_key"])]
    named = named.sort_values(["payment_ref", "pos"])
    named["position"] = named.groupby("payment_ref").cumcount() + 1
    named["n"] = named.groupby("payment_ref")["order_key"].transform("size")
    named = named.merge(counted[["payment_ref", "seq", "amount"]], on="payment_ref")
    amount_of = orders_all.set_index("order_key")["order_amount"].astype(float)
    # allocation: single-order payments take everything (vectorised); multi-order ones in payment order
    single = named[named["n"] == 1][["payment_ref", "order_key", "amount", "seq"]].rename(
        columns={"amount": "alloc"}
    )
    multi = named[named["n"] > 1].sort_values(["seq", "position"])
    alloc_rows = []
    if len(multi):
        touched = single[single["order_key"].isin(set(multi["order_key"]))]
        covered_single: dict[str, list] = {}
        for key, q, a in zip(touched["order_key"], touched["seq"], touched["alloc"], strict=True):
            covered_single.setdefault(key, []).append((q, a))
        covered: dict[str, float] = {}
        extra: dict[str, list] = {}
        for ref, grp in multi.groupby("seq", sort=True):
            ref_name = grp["payment_ref"].iat[0]
            remaining = float(grp["amount"].iat[0])
            seq = int(ref)
            keys = grp["order_key"].tolist()
            for j, key in enumerate(keys):
                before = covered.get(key, 0.0) + sum(a for q, a in covered_single.get(key, []) if q < seq)
                if j == len(keys) - 1:
                    a = remaining
                else:
                    a = 0.0 if remaining <= 0 else min(remaining, max(0.0, amount_of[key] - before))
                covered[key] = covered.get(key, 0.0) + a
                remaining -= a
                alloc_rows.append((ref_name, key, round(a, 2), seq))
                extra.setdefault(key, []).append(a)
    alloc = pd.concat(
        [single, pd.DataFrame(alloc_rows, columns=["payment_ref", "order_key", "alloc", "seq"])],
        ignore_index=True,
    )
    paid = alloc.groupby("order_key")["alloc"].sum()
    # logistics
    t = d["int_order_tracking_numbers"].merge(d["stg_tracks__parcels"], on="tracking_no", how="left")
    signed = t.assign(s=t["latest_state"] == "3").groupby("order_key")["s"].any()
    m = o[["order_key", "order_amount", "tracking_nos"]].copy()
    m["paid"] = m["order_key"].map(paid)
    m["signed"] = m["order_key"].map(signed).fillna(False).astype(bool)
    diff = np.select(
        [m["tracking_nos"].isna(), m["paid"].isna(), ~m["signed"],
         (m["paid"] - m["order_amount"].astype(float)).abs() > 0.01 + 1e-9],
        ["order_without_logistics", "logistics_without_payment", "logistics_not_signed", "amount_mismatch"],
        default="matched",
    )  # fmt: skip
    m["difference"] = diff
    orphan_pay = counted[~counted["payment_ref"].isin(named["payment_ref"])]
    linked = set(d["int_order_tracking_numbers"]["tracking_no"])
    orphan_trk = d["stg_tracks__parcels"][~d["stg_tracks__parcels"]["tracking_no"].isin(linked)]
    out = pd.concat(
        [
            m[["order_key", "difference", "paid"]].rename(columns={"order_key": "match_key"}),
            pd.DataFrame(
                {
                    "match_key": orphan_pay["payment_ref"],
                    "difference": "payment_without_order",
                    "paid": orphan_pay["amount"],
                }
            ),  # fmt: skip
            pd.DataFrame(
                {
                    "match_key": "tracking:" + orphan_trk["tracking_no"],
                    "difference": "logistics_without_order",
                    "paid": np.nan,
                }
            ),  # fmt: skip
        ],
        ignore_index=True,
    )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the scratch warehouse")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_reconcile_"))
    path = work / "bench.duckdb"
    try:
        t0 = time.perf_counter()
        counts = build_inputs(path, args.orders)
        print(f"inputs built in {time.perf_counter() - t0:.1f} s: {counts}", flush=True)
        subprocess.run(
            [str(BIN / "dbt"), "parse", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project", "--quiet"],
            cwd=ROOT, check=True, env={**os.environ, "ORDERLENS_WAREHOUSE": str(path)},
        )  # fmt: skip
        wall, sql = run_dbt(path)
        print(f"dbt run of {len(MODELS)} models: wall {wall:.1f} s, models {sql:.1f} s", flush=True)
        with duckdb.connect(str(path), read_only=True) as con:
            ours = con.execute(
                "select coalesce(difference_type, 'matched'), count(*), sum(paid_amount) "
                "from marts.fct_three_way_match group by all order by 1"
            ).fetchall()
            frames = {
                t.split(".")[1]: con.execute(f"select * from {t}").df()
                for t in (
                    "intermediate.int_orders_unioned",
                    "marts.fct_orders",
                    "intermediate.int_order_tracking_numbers",
                    "staging.stg_tracks__parcels",
                    "staging.stg_settlements__payments",
                    "marts.fct_bank_receipts",
                )
            }
        t1 = time.perf_counter()
        pdf = reconcile_pandas(frames)
        pandas_s = time.perf_counter() - t1
        theirs = sorted(
            (k, int(g.shape[0]), round(float(g["paid"].sum()), 2)) for k, g in pdf.groupby("difference")
        )
        ours_cmp = sorted((k, int(n), round(float(s or 0), 2)) for k, n, s in ours)
        same = ours_cmp == theirs
        print(f"pandas, same rules: {pandas_s:.1f} s; same result: {same}")
        if not same:
            print("  dbt   ", ours_cmp, "\n  pandas", theirs)
        print(
            json.dumps(
                {
                    "orders": args.orders,
                    "dbt_wall_s": round(wall, 1),
                    "dbt_models_s": round(sql, 1),
                    "pandas_s": round(pandas_s, 1),
                    "ratio_pandas_to_dbt_wall": round(pandas_s / wall, 2),
                    "ratio_pandas_to_dbt_models": round(pandas_s / sql, 2),
                    "differences": {k: n for k, n, _ in ours_cmp},
                    "same_as_pandas": same,
                }
            )
        )
        return 0 if same else 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
