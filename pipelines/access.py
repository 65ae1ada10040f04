"""Who may see what on the dashboards: roles, their pages and permissions, and the users file.

Pure Python (no Streamlit): the CLI (`orderlens user add`) and the app (`apps/streamlit/auth.py`) share it.

The users file lives outside the repository: `$ORDERLENS_USERS_FILE`, default `data/users.json`
(`config/users.example.json` shows the format). Passwords are stored only as salted scrypt hashes
(`scrypt$n$r$p$<salt b64>$<hash b64>`); the file is written with mode 0600.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

# --- the declarative access table -------------------------------------------------------------------

# Page keys (the file apps/streamlit/views/<key>.py; a page whose file does not exist yet is skipped).
PAGES = (
    "overview",  # 总览
    "heatmap",  # 履约热力图
    "order_lookup",  # 订单追踪
    "exceptions",  # 物流异常 / SLA 预警
    "risk_signals",  # 风险预警 (channel health, stock-out streaks, order risks)
    "aftersales",  # 售后归因 (arrives with the after-sales marts)
    "reconciliation",  # 三流对账 (arrives with the reconciliation marts)
    "receipts",  # 回单复核 (arrives with the OCR marts)
    "order_lines",  # 订单明细
)

# Permissions beyond seeing a page:
#   pii              receiver names, phones, addresses in clear (masked otherwise)
#   amounts          money columns and totals (warehouse staff see none)
#   export           CSV / XLSX downloads
#   receipt_correct  correct or confirm OCR-extracted receipt fields
PERMISSIONS = ("pii", "amounts", "export", "receipt_correct")


@dataclass(frozen=True)
class Role:
    pages: tuple[str, ...]
    permissions: frozenset[str]
    label: str


ROLES: dict[str, Role] = {
    "analyst": Role(
        pages=("overview", "heatmap", "order_lookup", "exceptions", "risk_signals", "aftersales",
               "reconciliation", "receipts", "order_lines"),
        permissions=frozenset({"amounts", "export"}),
        label="分析师 analyst: every page, no receipt correction, personal data masked",
    ),
    "finance": Role(
        pages=("overview", "order_lookup", "reconciliation", "receipts", "order_lines"),
        permissions=frozenset({"pii", "amounts", "export", "receipt_correct"}),
        label="财务 finance: reconciliation, receipts, exports",
    ),
    "warehouse": Role(
        pages=("order_lookup", "heatmap", "exceptions"),
        permissions=frozenset(),
        label="仓库 warehouse: order lookup by scan, read-only, no amounts, personal data masked",
    ),
    "admin": Role(pages=PAGES, permissions=frozenset(PERMISSIONS), label="管理员 admin: everything"),
}  # fmt: skip


def role(name: str) -> Role:
    try:
        return ROLES[name]
    except KeyError:
        raise ValueError(f"unknown role {name!r}; roles: {', '.join(ROLES)}") from None


def allowed_pages(role_name: str) -> tuple[str, ...]:
    return role(role_name).pages


def has_permission(role_name: str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}; permissions: {', '.join(PERMISSIONS)}")
    return permission in role(role_name).permissions


# --- password hashing (hashlib.scrypt, salted) --------------------------------------------------------

SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**14, 8, 1, 32


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    if not password:
        raise ValueError("empty password")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=SCRYPT_LEN)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# --- the users file -----------------------------------------------------------------------------------

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def users_file() -> Path:
    return Path(os.environ.get("ORDERLENS_USERS_FILE", "data/users.json")).expanduser()


def load_users(path: Path | None = None) -> dict[str, dict]:
    """name -> {"role": ..., "password": <hash>}; {} when the file does not exist."""
    path = path or users_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"users file {path} is not valid JSON (line {exc.lineno}): {exc.msg}") from None
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, dict):
        raise ValueError(f'users file {path} has no "users" object (see config/users.example.json)')
    for name, entry in users.items():
        if not isinstance(entry, dict) or entry.get("role") not in ROLES or "password" not in entry:
            raise ValueError(
                f"users file {path}: user {name!r} needs a known role ({', '.join(ROLES)}) and a password hash"
            )
    return users


def save_users(users: dict[str, dict], path: Path | None = None) -> Path:
    path = path or users_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"users": users}, f, ensure_ascii=False, indent=2)
        f.write("\n")
    os.replace(tmp, path)
    return path


def add_user(name: str, role_name: str, password: str, path: Path | None = None) -> Path:
    """Create or replace a user (replacing = password reset / role change)."""
    if not USERNAME.match(name):
        raise ValueError(f"user name {name!r}: use 1-64 letters, digits, _ . @ -")
    role(role_name)
    users = load_users(path)
    users[name] = {"role": role_name, "password": hash_password(password)}
    return save_users(users, path)


def authenticate(name: str, password: str, path: Path | None = None) -> str | None:
    """The user's role when the password is right, else None (same answer for an unknown user)."""
    users = load_users(path)
    entry = users.get(name)
    if entry is None:
        verify_password(password, _dummy_hash())  # no fast path that tells unknown names apart
        return None
    return entry["role"] if verify_password(password, entry["password"]) else None


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_urlsafe(12)))
    return _DUMMY[0]


def create_demo_admin(path: Path | None = None) -> tuple[str, str, Path] | None:
    """When no users file exists: an `admin` user with $ORDERLENS_DEMO_PASSWORD or a random password,
    which is also written (mode 0600) to demo-login.txt beside the users file. None if users exist."""
    path = path or users_file()
    if path.exists():
        return None
    password = os.environ.get("ORDERLENS_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    add_user("admin", "admin", password, path)
    note = path.with_name(DEMO_LOGIN)
    fd = os.open(note, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"user: admin\npassword: {password}\n")
    return "admin", password, note


DEMO_LOGIN = "demo-login.txt"


def user_role(name: str, path: Path | None = None) -> str | None:
    entry = load_users(path).get(name)
    return entry["role"] if entry else None
