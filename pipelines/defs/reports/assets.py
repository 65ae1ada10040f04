"""The after-sales weekly report as HTML pages (data/reports/aftersales-<ISO week>.html), after the marts."""

import dagster as dg

from pipelines.reports.aftersales import render_all, write_pages
from pipelines.settings import connect_warehouse

from ..resources import WAREHOUSE_POOL, OrderlensConfig

WEEKLY = dg.AssetKey(["marts", "rpt_aftersales_weekly"])
TICKETS = dg.AssetKey(["marts", "fct_aftersales"])


@dg.asset(
    key=["reports", "aftersales_weekly_html"],
    deps=[WEEKLY, TICKETS],
    group_name="reports",
    description=(
        "rpt_aftersales_weekly rendered as one self-contained HTML page per ISO week (tables, Plotly charts, "
        "Chinese labels) in <warehouse folder>/reports/aftersales-<YYYY-Www>.html. No tickets: no page."
    ),
    pool=WAREHOUSE_POOL,
    kinds={"html", "plotly"},
    owners=["team:data-engineering"],
)
def aftersales_weekly_html(
    context: dg.AssetExecutionContext, orderlens: OrderlensConfig
) -> dg.MaterializeResult:
    settings = orderlens.settings()
    with connect_warehouse(settings.warehouse_path, read_only=True) as con:
        weekly = con.execute("select * from marts.rpt_aftersales_weekly order by week_start, rank").df()
        tickets = con.execute("select * from marts.fct_aftersales order by applied_at, ticket_no").df()
    pages = render_all(weekly, tickets, settings.as_of_text)
    written = write_pages(pages, settings.reports_dir)
    if not written:
        context.log.info("no after-sales tickets: no weekly report page written")
    return dg.MaterializeResult(
        metadata={
            "pages": len(written),
            "folder": dg.MetadataValue.path(str(settings.reports_dir)),
            "files": dg.MetadataValue.json([p.name for p in written]),
        }
    )
