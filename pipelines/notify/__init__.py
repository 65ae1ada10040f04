"""Alert delivery: new rows of the alert marts go once each to the configured robot (WeCom, DingTalk,
Feishu) or to a JSON-lines log file, tracked in the warehouse table `ops.alert_deliveries`.

Pure code, no Dagster: `sources` says which marts raise alerts (one line each), `channels` builds the
robots' real messages and signatures, `ledger` keeps the delivery state, `deliver` runs one pass.
See docs/orchestration.md for the delivery semantics.
"""
