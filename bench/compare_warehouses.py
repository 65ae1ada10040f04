"""Compare every raw table of two ingest warehouses row for row: EXCEPT ALL both ways, load times excluded.

    .venv/bin/python bench/compare_warehouses.py before/warehouse.duckdb after/warehouse.duckdb

Prints per table the row counts and the rows found only on one side; exits 1 unless all are identical.
"""

from __future__ import annotations

import sys

import duckdb


def main(before: str, after: str) -> int:
    con = duckdb.connect()
    con.execute("attach ? as b (read_only)", [before])
    con.execute("attach ? as a (read_only)", [after])
    tables = sorted(
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'b' and schema_name = 'raw'"
        ).fetchall()
    )
    same = True
    for t in tables:
        load_time = "loaded_at" if t == "_manifest" else "_loaded_at"

        def only(x: str, y: str, t: str = t, load_time: str = load_time) -> int:
            return con.execute(
                f"select count(*) from (select * exclude ({load_time}) from {x}.raw.{t} "
                f"except all select * exclude ({load_time}) from {y}.raw.{t})"
            ).fetchall()[0][0]

        nb = con.execute(f"select count(*) from b.raw.{t}").fetchall()[0][0]
        na = con.execute(f"select count(*) from a.raw.{t}").fetchall()[0][0]
        only_b, only_a = only("b", "a"), only("a", "b")
        same &= only_a == only_b == 0 and na == nb
        print(f"{t:26s} before {nb:>11,} after {na:>11,}  only before {only_b}  only after {only_a}")
    print("IDENTICAL" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
