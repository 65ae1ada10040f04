"""The robots' real webhook formats and signatures, and the JSON-lines log fallback. Pure functions.

- WeCom (企业微信) group robot: POST `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`,
  `{"msgtype": "markdown", "markdown": {"content": …}}` (content ≤ 4096 bytes); answer `{"errcode": 0, …}`.
- DingTalk (钉钉) custom robot: POST `https://oapi.dingtalk.com/robot/send?access_token=…` plus, when the
  robot signs, `&timestamp=<ms>&sign=<urlencode(base64(HMAC-SHA256(key=secret, msg="<ms>\\n<secret>")))>`;
  `{"msgtype": "markdown", "markdown": {"title": …, "text": …}}`; answer `{"errcode": 0, "errmsg": "ok"}`.
- Feishu (飞书) custom bot: POST `https://open.feishu.cn/open-apis/bot/v2/hook/…`, body
  `{"timestamp": "<s>", "sign": base64(HMAC-SHA256(key="<s>\\n<secret>", msg="")), "msg_type": "interactive",
  "card": {…markdown element…}}`; answer `{"code": 0, "msg": "success", …}`.

A robot answers HTTP 200 even when it refuses a message: errcode/code != 0 in the body is a failure.
URLs and secrets come from the environment and never appear in a log line or an error we store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ENV = {
    "wecom": ("ORDERLENS_WECOM_WEBHOOK", None),
    "dingtalk": ("ORDERLENS_DINGTALK_WEBHOOK", "ORDERLENS_DINGTALK_SECRET"),
    "feishu": ("ORDERLENS_FEISHU_WEBHOOK", "ORDERLENS_FEISHU_SECRET"),
}
ALERT_LOG_ENV = "ORDERLENS_ALERT_LOG"

# Error codes that mean "too many messages": stop sending on this channel for the rest of the pass.
RATE_LIMIT_CODES = {"wecom": {45009}, "dingtalk": {130101}, "feishu": {11232}}
# Content size limits (bytes of the markdown text), kept a little under the documented ones.
MAX_BYTES = {"wecom": 4000, "dingtalk": 18000, "feishu": 18000}


class DeliveryError(Exception):
    """A message the robot did not accept (HTTP error, errcode != 0, timeout). The text holds no secret."""

    def __init__(self, message: str, rate_limited: bool = False):
        super().__init__(message)
        self.rate_limited = rate_limited


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's `sign` query parameter (already url-encoded)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's `sign` body field: the HMAC key is "timestamp\\nsecret" and the message is empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class RobotChannel:
    name: str  # wecom | dingtalk | feishu
    url: str
    secret: str | None = None

    @property
    def max_bytes(self) -> int:
        return MAX_BYTES[self.name]

    def __repr__(self) -> str:  # never print the URL or the secret
        return f"RobotChannel({self.name})"

    def request(self, title: str, markdown: str, now_ms: int) -> tuple[str, bytes]:
        """(url, JSON body) of one message, signed when a secret is set."""
        url = self.url
        if self.name == "wecom":
            body = {"msgtype": "markdown", "markdown": {"content": markdown}}
        elif self.name == "dingtalk":
            body = {"msgtype": "markdown", "markdown": {"title": title, "text": markdown}}
            if self.secret:
                sep = "&" if "?" in url else "?"
                url = f"{url}{sep}timestamp={now_ms}&sign={dingtalk_sign(self.secret, now_ms)}"
        elif self.name == "feishu":
            body = {
                "msg_type": "interactive",
                "card": {
                    "config": {"wide_screen_mode": True},
                    "header": {"title": {"tag": "plain_text", "content": title}, "template": "red"},
                    "elements": [{"tag": "markdown", "content": markdown}],
                },
            }
            if self.secret:
                seconds = now_ms // 1000
                body = {"timestamp": str(seconds), "sign": feishu_sign(self.secret, seconds), **body}
        else:
            raise ValueError(f"unknown robot {self.name!r}")
        return url, json.dumps(body, ensure_ascii=False).encode("utf-8")

    def check_answer(self, status: int, text: str) -> None:
        """Raise DeliveryError unless the robot accepted the message."""
        if status != 200:
            raise DeliveryError(f"HTTP {status}: {text[:200]}")
        try:
            answer = json.loads(text or "{}")
        except json.JSONDecodeError:
            raise DeliveryError(f"HTTP 200 but the answer is not JSON: {text[:200]}") from None
        if self.name == "feishu":
            code = answer.get("code", answer.get("StatusCode", 0))
            message = answer.get("msg", answer.get("StatusMessage", ""))
        else:
            code, message = answer.get("errcode", 0), answer.get("errmsg", "")
        if code not in (0, None):
            rate_limited = code in RATE_LIMIT_CODES[self.name]
            raise DeliveryError(f"robot refused: code {code} {message}"[:300], rate_limited=rate_limited)

    def redact(self, text: str) -> str:
        """Remove the webhook URL, its token and the secret from a message before it is logged or stored."""
        secrets = [self.url, self.secret or ""]
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.url).query)
        secrets += [v for values in query.values() for v in values]
        if self.name == "feishu":  # the hook id is the last part of the path
            secrets.append(urllib.parse.urlsplit(self.url).path.rsplit("/", 1)[-1])
        for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
            text = text.replace(secret, "***")
        return re.sub(r"(access_token|key|sign)=[^&\s]+", r"\1=***", text)


@dataclass(frozen=True)
class LogChannel:
    path: Path
    name: str = "log"


Channel = RobotChannel | LogChannel


def configured_channels(env: dict[str, str] | None = None, default_log: Path | None = None) -> list[Channel]:
    """The robots whose webhook is set in the environment; the log file when none is."""
    env = os.environ if env is None else env
    robots = [
        RobotChannel(
            name, env[url_var].strip(), ((env.get(secret_var) or "").strip() or None) if secret_var else None
        )
        for name, (url_var, secret_var) in ENV.items()
        if (env.get(url_var) or "").strip()
    ]
    if robots:
        return robots
    path = env.get(ALERT_LOG_ENV) or default_log or Path("data/alerts/alerts.log")
    return [LogChannel(Path(path))]


def pack_messages(
    lines: list[tuple[str, str]], batch_size: int, max_bytes: int, heading: str
) -> list[list[str]]:
    """Group (alert_id, line) pairs into messages of at most batch_size alerts and max_bytes of text.

    Returns lists of alert ids; the caller renders each group with `render_message`."""
    groups: list[list[str]] = []
    current: list[str] = []
    size = len(heading.encode()) + 40
    for alert_id, line in lines:
        n = len(line.encode()) + 1
        if current and (len(current) >= batch_size or size + n > max_bytes):
            groups.append(current)
            current, size = [], len(heading.encode()) + 40
        current.append(alert_id)
        size += n
    if current:
        groups.append(current)
    return groups


def render_message(heading: str, lines: list[str]) -> str:
    return f"### {heading}（{len(lines)} 条）\n" + "\n".join(lines)
