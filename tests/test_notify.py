"""Alert delivery against real HTTP servers on 127.0.0.1 that play the WeCom, DingTalk and Feishu robots.

The fake robots check the signature and the JSON shape independently of pipelines.notify (their own
HMAC code), post what they accept, and fail on demand: HTTP 500, errcode != 0 with HTTP 200, a timeout
after posting (the answer is lost), rate limiting. Warehouse tables stand in for the marts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import urllib.parse
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from pipelines.notify import ledger
from pipelines.notify.channels import LogChannel, RobotChannel, configured_channels
from pipelines.notify.deliver import DeliveryConfig, run_pass

WECOM_KEY = "wecom-key-7f3a9c"
DING_TOKEN = "ding-token-5521ab"
DING_SECRET = "SECding0123456789abcdef"
FEISHU_HOOK = "feishu-hook-8e2d44"
FEISHU_SECRET = "feishu-secret-xyz987"
REF = re.compile(r"#([0-9a-f]{12})\b")


class FakeRobots:
    """One threaded HTTP server playing the three robots at /wecom, /dingtalk and /feishu."""

    def __init__(self):
        self.posted: dict[str, list[dict]] = {"wecom": [], "dingtalk": [], "feishu": []}
        self.rejected: list[str] = []  # malformed or badly signed requests: must stay empty
        self.failures: dict[str, list[str]] = {"wecom": [], "dingtalk": [], "feishu": []}
        self.lock = threading.Lock()
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                robot = url.path.strip("/").split("/")[0]
                problem = robots.verify(robot, url.path, query, body)
                if problem:
                    robots.rejected.append(f"{robot}: {problem}")
                    return self.answer(200, robots.error_answer(robot, 310000))
                with robots.lock:
                    mode = robots.failures[robot].pop(0) if robots.failures[robot] else "ok"
                if mode == "500":
                    return self.answer(500, {"error": "internal"})
                if mode == "errcode":
                    return self.answer(200, robots.error_answer(robot, 93000))
                if mode == "ratelimit":
                    return self.answer(
                        200, robots.error_answer(robot, {"wecom": 45009, "dingtalk": 130101}[robot])
                    )
                robots.posted[robot].append(body)  # the robot posts to the group...
                if mode == "timeout":
                    time.sleep(1.5)  # ...but its answer comes after the client gave up
                ok = (
                    {"code": 0, "msg": "success", "data": {}}
                    if robot == "feishu"
                    else {"errcode": 0, "errmsg": "ok"}
                )
                self.answer(200, ok)

            def answer(self, status, payload):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def error_answer(robot, code):
        return (
            {"code": code, "msg": "refused", "data": {}}
            if robot == "feishu"
            else {"errcode": code, "errmsg": "no"}
        )

    def verify(self, robot, path, query, body) -> str | None:
        now = time.time()
        if robot == "wecom":
            if query.get("key") != [WECOM_KEY]:
                return "wrong key"
            if body.get("msgtype") != "markdown" or not isinstance(
                body.get("markdown", {}).get("content"), str
            ):
                return f"not a markdown message: {body}"
            if len(body["markdown"]["content"].encode()) > 4096:
                return "content over 4096 bytes"
        elif robot == "dingtalk":
            ts = query.get("timestamp", [""])[0]
            if query.get("access_token") != [DING_TOKEN] or not ts.isdigit():
                return "wrong token or no timestamp"
            if abs(int(ts) / 1000 - now) > 3600:
                return "timestamp more than an hour off"
            expected = base64.b64encode(
                hmac.new(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
            ).decode()
            if query.get("sign") != [expected]:  # parse_qs has url-decoded the sign
                return "bad sign"
            md = body.get("markdown", {})
            if body.get("msgtype") != "markdown" or not md.get("title") or not md.get("text"):
                return f"not a markdown message: {body}"
        elif robot == "feishu":
            if path != f"/feishu/open-apis/bot/v2/hook/{FEISHU_HOOK}":
                return "wrong hook"
            ts = body.get("timestamp", "")
            if not ts.isdigit() or abs(int(ts) - now) > 3600:
                return "bad timestamp"
            expected = base64.b64encode(
                hmac.new(f"{ts}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()
            ).decode()
            if body.get("sign") != expected:
                return "bad sign"
            card = body.get("card", {})
            if (
                body.get("msg_type") != "interactive"
                or card.get("elements", [{}])[0].get("tag") != "markdown"
            ):
                return f"not an interactive markdown card: {body}"
        else:
            return f"unknown robot {robot}"
        return None

    def texts(self, robot) -> list[str]:
        if robot == "wecom":
            return [b["markdown"]["content"] for b in self.posted[robot]]
        if robot == "dingtalk":
            return [b["markdown"]["text"] for b in self.posted[robot]]
        return [b["card"]["elements"][0]["content"] for b in self.posted[robot]]

    def refs(self, robot) -> list[str]:
        return [ref for text in self.texts(robot) for ref in REF.findall(text)]

    def channels(self) -> list[RobotChannel]:
        return configured_channels(
            {
                "ORDERLENS_WECOM_WEBHOOK": f"{self.base}/wecom/cgi-bin/webhook/send?key={WECOM_KEY}",
                "ORDERLENS_DINGTALK_WEBHOOK": f"{self.base}/dingtalk/robot/send?access_token={DING_TOKEN}",
                "ORDERLENS_DINGTALK_SECRET": DING_SECRET,
                "ORDERLENS_FEISHU_WEBHOOK": f"{self.base}/feishu/open-apis/bot/v2/hook/{FEISHU_HOOK}",
                "ORDERLENS_FEISHU_SECRET": FEISHU_SECRET,
            }
        )

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robots():
    r = FakeRobots()
    yield r
    r.close()


FAST = DeliveryConfig(
    batch_size=20, max_messages_per_pass=10, attempts=3, backoff_seconds=0.0, timeout_seconds=0.5
)


def _warehouse(tmp_path: Path, sla_orders: int = 3, exceptions: int = 2) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_sla_alerts (order_key varchar, alert_type varchar, recipient_role varchar, "
        "raised_at timestamp)"
    )
    con.execute(
        "create table marts.fct_logistics_exceptions (tracking_no varchar, carrier varchar, order_key varchar, "
        "exception_type varchar, since timestamp, last_event_at timestamp, last_context varchar)"
    )
    for i in range(sla_orders):
        _add_sla(con, i)
    for i in range(exceptions):
        con.execute(
            "insert into marts.fct_logistics_exceptions values (?, 'zhongtong', ?, 'stalled_24h', "
            "timestamp '2026-10-13 08:00:00', timestamp '2026-10-12 08:00:00', '【上海】已发出')",
            [f"7360000000{i:04d}", f"douyin:{i}"],
        )
    return con


def _add_sla(con, i: int) -> None:
    con.execute(
        "insert into marts.fct_sla_alerts values (?, 'stock_shortage', 'purchasing', "
        "timestamp '2026-10-12 10:00:00' + to_minutes(cast(? as bigint)))",
        [f"douyin:{i}", i],
    )


def _ledger(con) -> dict[tuple[str, str], tuple]:
    rows = con.execute(
        "select alert_id, channel, status, attempts, possible_duplicate, last_error from ops.alert_deliveries"
    ).fetchall()
    return {(a, c): (s, n, d, e) for a, c, s, n, d, e in rows}


def _ids(con, source: str) -> set[str]:
    return {
        r[0][:12]
        for r in con.execute(
            "select alert_id from ops.alert_deliveries where source = ?", [source]
        ).fetchall()
    }


def test_each_alert_reaches_each_robot_exactly_once_across_passes(robots, tmp_path):
    con = _warehouse(tmp_path)
    channels = robots.channels()
    assert [c.name for c in channels] == ["wecom", "dingtalk", "feishu"]
    first = run_pass(con, channels, FAST)
    assert first.new_alerts == {"sla_alerts": 3, "logistics_exceptions": 2}
    # the marts that do not exist in this warehouse yet are skipped, not failed
    assert first.skipped_sources == [
        "correction_actions",
        "channel_health",
        "stockout_streaks",
        "order_risks",
    ]
    assert first.delivered == {"wecom": 5, "dingtalk": 5, "feishu": 5}
    assert robots.rejected == []
    expected = _ids(con, "sla_alerts") | _ids(con, "logistics_exceptions")
    for robot in ("wecom", "dingtalk", "feishu"):
        assert sorted(robots.refs(robot)) == sorted(expected), robot
        assert len(robots.posted[robot]) == 2  # one message per source: SLA and logistics
    # the message says what happened, with the carrier's public tracking page
    text = "\n".join(robots.texts("wecom"))
    assert "**缺货** → 采购：订单 `douyin:0`，2026-10-12 10:00" in text
    assert "[73600000000001](https://www.kuaidi100.com/chaxun?com=zhongtong&nu=73600000000001)" in text

    second = run_pass(con, channels, FAST)  # nothing new: nothing sent
    assert second.new_alerts == {"sla_alerts": 0, "logistics_exceptions": 0}
    assert sum(second.delivered.values()) == 0
    assert [len(robots.posted[r]) for r in ("wecom", "dingtalk", "feishu")] == [2, 2, 2]

    # the mart is rebuilt with one more row (and the old ones unchanged): only the new alert goes out
    con.execute("create or replace table marts.fct_sla_alerts as select * from marts.fct_sla_alerts")
    _add_sla(con, 99)
    third = run_pass(con, channels, FAST)
    assert third.new_alerts["sla_alerts"] == 1 and third.delivered == {"wecom": 1, "dingtalk": 1, "feishu": 1}
    for robot in ("wecom", "dingtalk", "feishu"):
        assert len(robots.refs(robot)) == 6 and len(set(robots.refs(robot))) == 6
    assert {s for s, *_ in _ledger(con).values()} == {"delivered"}


def test_http_500_and_errcode_are_failures_retried_on_the_next_pass(robots, tmp_path):
    con = _warehouse(tmp_path, sla_orders=2, exceptions=0)
    wecom, dingtalk, _ = robots.channels()
    robots.failures["wecom"] = ["500", "500", "500"]  # the whole first pass fails
    robots.failures["dingtalk"] = ["errcode", "ok"]  # HTTP 200 with errcode 93000, then fine
    waits: list[float] = []
    config = DeliveryConfig(batch_size=20, attempts=3, backoff_seconds=0.5, timeout_seconds=2)
    messages: list[str] = []
    first = run_pass(con, [wecom, dingtalk], config, sleep=waits.append, log=messages.append)
    assert first.delivered == {"wecom": 0, "dingtalk": 2}
    assert waits == [0.5, 1.0, 0.5]  # exponential backoff: wecom 0.5 then 1.0; dingtalk 0.5 once
    assert robots.posted["wecom"] == [] and len(robots.posted["dingtalk"]) == 1
    state = _ledger(con)
    wecom_rows = [v for (a, c), v in state.items() if c == "wecom"]
    assert [(s, n, d) for s, n, d, _ in wecom_rows] == [("failed", 3, False)] * 2
    assert all(e.startswith("HTTP 500") for *_, e in wecom_rows)
    assert first.undelivered == 2 and first.failed_messages == 1
    # the dingtalk refusal was reported without leaking the token or the secret
    assert any("code 93000" in m for m in messages)
    for secret in (WECOM_KEY, DING_TOKEN, DING_SECRET):
        assert not any(secret in m for m in messages + first.errors)
        assert not any(secret in (e or "") for *_, e in state.values())

    second = run_pass(con, [wecom, dingtalk], config, sleep=waits.append)
    assert second.delivered == {"wecom": 2, "dingtalk": 0}  # retried, and dingtalk not sent twice
    assert len(robots.refs("wecom")) == 2 and len(robots.refs("dingtalk")) == 2
    assert second.undelivered == 0


def test_a_timeout_after_posting_is_resent_once_and_labelled_possible_duplicate(robots, tmp_path):
    con = _warehouse(tmp_path, sla_orders=1, exceptions=0)
    wecom = robots.channels()[0]
    robots.failures["wecom"] = ["timeout"]  # the robot posts, but its answer comes too late
    report = run_pass(con, [wecom], FAST)
    assert report.delivered == {"wecom": 1}
    texts = robots.texts("wecom")
    assert len(texts) == 2 and "可能重复" not in texts[0] and "（可能重复）" in texts[1]
    (state,) = _ledger(con).values()
    assert state[:3] == ("delivered", 2, True)
    assert sum(run_pass(con, [wecom], FAST).delivered.values()) == 0


class Crash(BaseException):
    """The process dies (kill -9 stands in for it: nothing after this line runs)."""


def test_a_crash_between_send_and_ledger_write_resends_once_labelled(robots, tmp_path, monkeypatch):
    con = _warehouse(tmp_path, sla_orders=2, exceptions=0)
    feishu = robots.channels()[2]

    def crash(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as m:
        m.setattr(ledger, "mark_delivered", crash)
        with pytest.raises(Crash):
            run_pass(con, [feishu], FAST)
    assert len(robots.posted["feishu"]) == 1  # the robot did post it
    assert {s for s, *_ in _ledger(con).values()} == {"sending"}  # the ledger never heard back

    again = run_pass(con, [feishu], FAST)
    assert again.delivered == {"feishu": 2}
    texts = robots.texts("feishu")
    assert len(texts) == 2 and texts[1].count("（可能重复）") == 2  # in doubt: sent again, and says so
    assert sorted(REF.findall(texts[0])) == sorted(REF.findall(texts[1]))
    assert sum(run_pass(con, [feishu], FAST).delivered.values()) == 0  # and never a third time


def test_a_crash_before_the_request_left_sends_it_on_the_next_pass(robots, tmp_path):
    con = _warehouse(tmp_path, sla_orders=1, exceptions=0)
    dingtalk = robots.channels()[1]

    def dies(url, body, timeout):
        raise Crash

    with pytest.raises(Crash):
        run_pass(con, [dingtalk], FAST, post=dies)
    assert robots.posted["dingtalk"] == []
    assert run_pass(con, [dingtalk], FAST).delivered == {"dingtalk": 1}  # not lost
    assert len(robots.refs("dingtalk")) == 1


def test_batches_cap_per_pass_and_rate_limit(robots, tmp_path):
    con = _warehouse(tmp_path, sla_orders=45, exceptions=0)
    wecom = robots.channels()[0]
    config = DeliveryConfig(
        batch_size=20, max_messages_per_pass=2, attempts=3, backoff_seconds=0, timeout_seconds=2
    )
    first = run_pass(con, [wecom], config)
    assert (first.delivered, first.messages, first.undelivered) == ({"wecom": 40}, {"wecom": 2}, 5)
    assert [len(REF.findall(t)) for t in robots.texts("wecom")] == [20, 20]
    robots.failures["wecom"] = ["ratelimit"]
    limited = run_pass(con, [wecom], config)
    assert limited.delivered == {"wecom": 0} and limited.failed_messages == 1
    assert len(robots.posted["wecom"]) == 2  # a rate-limit answer is not retried in the same pass
    last = run_pass(con, [wecom], config)
    assert last.delivered == {"wecom": 5} and last.undelivered == 0
    assert sorted(robots.refs("wecom")) == sorted(_ids(con, "sla_alerts"))  # 45 alerts, each once


def test_a_long_batch_is_split_under_the_robot_size_limit(robots, tmp_path):
    con = _warehouse(tmp_path, sla_orders=0, exceptions=0)
    con.execute(
        "insert into marts.fct_logistics_exceptions select 'JT' || lpad(cast(i as varchar), 13, '0'), 'jtexpress', "
        "'douyin:' || i, 'problem', timestamp '2026-10-13 08:00:00', timestamp '2026-10-13 08:00:00', "
        "repeat('派送异常，', 20) from range(60) t(i)"
    )
    wecom = robots.channels()[0]
    report = run_pass(con, [wecom], FAST)
    assert report.delivered == {"wecom": 60} and robots.rejected == []
    assert all(len(t.encode()) <= 4096 for t in robots.texts("wecom"))
    assert len(robots.posted["wecom"]) > 3  # 60 alerts at 20 per message would have been 3; size split more


def test_without_a_webhook_alerts_go_to_the_log_file_once(tmp_path):
    con = _warehouse(tmp_path)
    channels = configured_channels({}, default_log=tmp_path / "alerts" / "alerts.log")
    assert channels == [LogChannel(tmp_path / "alerts" / "alerts.log")]
    assert run_pass(con, channels, FAST).delivered == {"log": 5}
    assert run_pass(con, channels, FAST).delivered == {"log": 0}
    con.execute(
        "create table marts.fct_correction_actions (trigger_ref varchar, action_type varchar, target varchar, "
        "warehouse_code varchar, sku varchar, created_at timestamp)"
    )
    con.execute(
        "insert into marts.fct_correction_actions values "
        "('WV-1', 'supplier_alert', '宠乐供应链', 'WH-SH', 'DG-001', timestamp '2026-10-13 09:00:00')"
    )
    third = run_pass(con, channels, FAST)  # the source appears once its mart exists: no code change
    assert "correction_actions" not in third.skipped_sources and third.delivered == {"log": 1}
    lines = [json.loads(x) for x in (tmp_path / "alerts" / "alerts.log").read_text().splitlines()]
    assert [x["source"] for x in lines] == ["sla_alerts"] * 3 + ["logistics_exceptions"] * 2 + [
        "correction_actions"
    ]
    assert len({x["alert_id"] for x in lines}) == 6
    assert lines[-1]["alert"]["target"] == "宠乐供应链" and "供应商预警" in lines[-1]["text"]


def test_a_log_pass_that_dies_while_writing_writes_them_again_labelled(tmp_path, monkeypatch):
    """The log is written in one pass (all `sending`, the lines, fsync, all `delivered`): a pass that dies
    before the fsync leaves every alert `sending`; the next pass writes each once more, labelled."""
    import pipelines.notify.deliver as deliver

    con = _warehouse(tmp_path)
    channels = configured_channels({}, default_log=tmp_path / "alerts" / "alerts.log")

    def dies(_fd):
        raise OSError("disk gone")

    monkeypatch.setattr(deliver.os, "fsync", dies)
    with pytest.raises(OSError):
        run_pass(con, channels, FAST)
    assert {(channel, state[0]) for (_alert, channel), state in _ledger(con).items()} == {("log", "sending")}
    monkeypatch.undo()
    again = run_pass(con, channels, FAST)
    assert again.delivered == {"log": 5} and again.undelivered == 0
    lines = [json.loads(x) for x in (tmp_path / "alerts" / "alerts.log").read_text().splitlines()]
    assert len(lines) == 10 and [x["possible_duplicate"] for x in lines] == [False] * 5 + [True] * 5
    assert [x["alert_id"] for x in lines[:5]] == [x["alert_id"] for x in lines[5:]]  # same order both times
    assert run_pass(con, channels, FAST).delivered == {"log": 0}


def test_signal_marts_alert_once_each_and_only_their_alert_rows(tmp_path):
    """rpt_channel_health raises only its rows with alert = true; a stock-out streak that grows (same first
    order, more orders) is the same alert; an address risk is one alert per order."""
    con = _warehouse(tmp_path, sla_orders=0, exceptions=0)
    con.execute(
        "create table marts.rpt_channel_health (day date, channel varchar, channel_id varchar, orders integer, "
        "unpaid_after_72h integer, unpaid_rate decimal(9,4), alert boolean)"
    )
    con.execute(
        "insert into marts.rpt_channel_health values "
        "(date '2026-10-10', '直播', '7319902847711065601', 30, 25, 0.8333, true), "
        "(date '2026-10-10', '直播', '7319900000000000001', 30, 3, 0.1000, false), "
        "(date '2026-10-11', '短视频', '7400000000000000001', 10, 9, 0.9000, false)"
    )
    con.execute(
        "create table marts.fct_stockout_streaks (streak_key varchar, sku varchar, supplier varchar, "
        "warehouse_scope varchar, first_order_at timestamp, last_order_at timestamp, orders_blocked integer, "
        "order_keys varchar)"
    )
    con.execute(
        "insert into marts.fct_stockout_streaks values ('S1', 'DG-001', '宠乐供应链', 'ALL', "
        "timestamp '2026-10-12 10:00:00', timestamp '2026-10-12 11:00:00', 3, 'douyin:1;douyin:2;douyin:3')"
    )
    con.execute(
        "create table marts.fct_order_risks (order_key varchar, risk_type varchar, detail varchar, "
        "detected_at timestamp)"
    )
    con.execute(
        "insert into marts.fct_order_risks values ('taobao:9', 'address_changed_repeatedly', "
        "'收货地址在发货前变更 2 次', timestamp '2026-10-12 12:00:00')"
    )
    log = tmp_path / "alerts" / "alerts.log"
    channels = configured_channels({}, default_log=log)
    assert run_pass(con, channels, FAST).delivered == {"log": 3}
    # the streak grows by one order: same alert, nothing new
    con.execute(
        "update marts.fct_stockout_streaks set orders_blocked = 4, last_order_at = timestamp '2026-10-12 12:00:00', "
        "order_keys = order_keys || ';douyin:4'"
    )
    assert run_pass(con, channels, FAST).delivered == {"log": 0}
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert sorted(x["source"] for x in lines) == ["channel_health", "order_risks", "stockout_streaks"]
    texts = {x["source"]: x["text"] for x in lines}
    assert "7319902847711065601" in texts["channel_health"] and "83%" in texts["channel_health"]
    assert "DG-001" in texts["stockout_streaks"] and "宠乐供应链" in texts["stockout_streaks"]
    assert "taobao:9" in texts["order_risks"]


def test_signatures_match_the_documented_examples():
    from pipelines.notify.channels import dingtalk_sign, feishu_sign

    # computed by hand with the algorithms of the robots' documentation (openssl dgst -sha256 -hmac ...)
    ts = 1700000000000
    digest = hmac.new(b"SECabc", f"{ts}\nSECabc".encode(), hashlib.sha256).digest()
    assert dingtalk_sign("SECabc", ts) == urllib.parse.quote_plus(base64.b64encode(digest).decode())
    assert (
        feishu_sign("abc", 1700000000)
        == base64.b64encode(hmac.new(b"1700000000\nabc", b"", hashlib.sha256).digest()).decode()
    )
    assert "SECabc" not in repr(RobotChannel("dingtalk", "http://x/robot/send?access_token=t0k3n", "SECabc"))


def test_orderlens_run_delivers_the_alerts_to_the_log_without_a_webhook(skeleton_run):
    settings, summary = skeleton_run
    assert summary.success, summary.errors
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        marts = con.execute(
            "select (select count(*) from marts.fct_sla_alerts) + (select count(*) from marts.fct_logistics_exceptions)"
        ).fetchone()[0]
        statuses = con.execute(
            "select channel, status, count(*) from ops.alert_deliveries group by all"
        ).fetchall()
    log = settings.warehouse_path.parent / "alerts" / "alerts.log"
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert marts > 0
    assert statuses == [("log", "delivered", marts)]
    assert len(lines) == len({x["alert_id"] for x in lines}) == marts  # each alert once


def test_a_max_age_keeps_a_newly_configured_robot_from_receiving_the_whole_history(robots, tmp_path):
    con = _warehouse(tmp_path, sla_orders=3, exceptions=2)  # raised 2026-10-12/13
    con.execute(
        "insert into marts.fct_sla_alerts values ('douyin:new', 'review_pending', 'ops_lead', "
        "timestamp '2026-10-14 08:30:00')"
    )
    wecom = robots.channels()[0]
    config = DeliveryConfig(backoff_seconds=0, timeout_seconds=2, max_age_hours=24)
    report = run_pass(con, [wecom], config, now=lambda: datetime(2026, 10, 14, 9, 0))
    assert report.delivered == {"wecom": 1} and report.undelivered == 0
    assert robots.texts("wecom") == [robots.texts("wecom")[0]] and "douyin:new" in robots.texts("wecom")[0]
    statuses = sorted(s for s, *_ in _ledger(con).values())
    assert statuses == ["delivered"] + ["expired"] * 5  # kept in the ledger, never sent
    assert DeliveryConfig.from_env({"ORDERLENS_ALERT_MAX_AGE_HOURS": "24"}).max_age_hours == 24


def test_errors_are_redacted_before_they_are_logged_or_stored():
    feishu = RobotChannel("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/abcd-1234", "s3cret")
    assert feishu.redact(
        "POST https://open.feishu.cn/open-apis/bot/v2/hook/abcd-1234 abcd-1234 s3cret send"
    ) == ("POST *** *** *** send")
    wecom = RobotChannel("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY123")
    assert wecom.redact("cannot send: key=KEY123 (KEY123)") == "cannot send: key=*** (***)"
