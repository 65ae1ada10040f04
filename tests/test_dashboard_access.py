"""Pure parts of the dashboards: password hashing, the access table, the users file and `orderlens user`,
personal-data masking, and the formula-injection-safe CSV/XLSX downloads."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from apps.streamlit.downloads import neutralise, to_csv_bytes, to_xlsx_bytes
from apps.streamlit.privacy import mask_frame, mask_value
from pipelines import access
from pipelines.cli import main

ORDERLENS = str(Path(sys.executable).parent / "orderlens")


def test_passwords_are_salted_scrypt_hashes_that_verify():
    first, second = access.hash_password("s3cret-pass"), access.hash_password("s3cret-pass")
    assert first.startswith("scrypt$16384$8$1$") and first != second  # salted
    assert "s3cret-pass" not in first
    assert access.verify_password("s3cret-pass", first)
    assert not access.verify_password("s3cret-Pass", first)
    assert not access.verify_password("s3cret-pass", "plain-text")
    assert not access.verify_password("s3cret-pass", "pbkdf2$1$2$3$4$5")


def test_the_access_table():
    assert access.allowed_pages("warehouse") == ("order_lookup", "heatmap", "exceptions")
    assert not access.has_permission("warehouse", "amounts")
    assert not access.has_permission("warehouse", "pii")
    assert not access.has_permission("analyst", "pii")
    assert not access.has_permission("analyst", "receipt_correct")
    assert access.has_permission("finance", "pii") and access.has_permission("finance", "export")
    assert "heatmap" not in access.allowed_pages("finance")
    assert set(access.allowed_pages("admin")) == set(access.PAGES)
    assert all(set(r.pages) <= set(access.PAGES) for r in access.ROLES.values())
    with pytest.raises(ValueError, match="unknown role 'boss'"):
        access.allowed_pages("boss")
    with pytest.raises(ValueError, match="unknown permission"):
        access.has_permission("admin", "root")


def test_users_file_round_trip_and_authentication(tmp_path):
    users = tmp_path / "conf" / "users.json"
    access.add_user("li.lei", "finance", "correct horse", users)
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    assert access.authenticate("li.lei", "correct horse", users) == "finance"
    assert access.authenticate("li.lei", "wrong", users) is None
    assert access.authenticate("nobody", "correct horse", users) is None
    access.add_user("li.lei", "analyst", "new password", users)  # replace = reset
    assert access.authenticate("li.lei", "new password", users) == "analyst"
    with pytest.raises(ValueError, match="user name"):
        access.add_user("bad name;", "admin", "password1", users)
    users.write_text(json.dumps({"users": {"x": {"role": "boss", "password": "h"}}}))
    with pytest.raises(ValueError, match="user 'x' needs a known role"):
        access.load_users(users)
    users.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        access.load_users(users)


def test_orderlens_user_add_reads_the_password_from_stdin(tmp_path):
    users = tmp_path / "users.json"
    env = {"ORDERLENS_USERS_FILE": str(users), "PATH": str(Path(sys.executable).parent)}
    proc = subprocess.run(
        [ORDERLENS, "user", "add", "zhang.wei", "--role", "warehouse"],
        input="scan-all-day\n", capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "scan-all-day" not in proc.stdout + proc.stderr + users.read_text()
    assert access.authenticate("zhang.wei", "scan-all-day", users) == "warehouse"
    listed = subprocess.run([ORDERLENS, "user", "list"], capture_output=True, text=True, env=env, timeout=60)
    assert "zhang.wei\twarehouse" in listed.stdout
    short = subprocess.run(
        [ORDERLENS, "user", "add", "x", "--role", "admin"], input="short\n", capture_output=True, text=True,
        env=env, timeout=60,
    )  # fmt: skip
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    bad_role = subprocess.run(
        [ORDERLENS, "user", "add", "x", "--role", "boss"], input="long enough\n", capture_output=True,
        text=True, env=env, timeout=60,
    )  # fmt: skip
    assert bad_role.returncode == 2 and "invalid choice: 'boss'" in bad_role.stderr


def test_demo_creates_an_admin_only_when_there_are_no_users(tmp_path, monkeypatch):
    users = tmp_path / "users.json"
    monkeypatch.setenv("ORDERLENS_DEMO_PASSWORD", "demo-password-1")
    name, password, note = access.create_demo_admin(users)
    assert (name, password) == ("admin", "demo-password-1")
    assert access.authenticate("admin", "demo-password-1", users) == "admin"
    assert note.read_text() == "user: admin\npassword: demo-password-1\n"
    assert stat.S_IMODE(note.stat().st_mode) == 0o600
    assert access.create_demo_admin(users) is None  # never overwrites real users


def test_cli_help_lists_the_user_command(capsys):
    with pytest.raises(SystemExit):
        main(["user", "add", "--help"])
    assert "--role {analyst,finance,warehouse,admin}" in capsys.readouterr().out


def test_masking():
    assert mask_value("李艳", "name") == "李*"
    assert mask_value("158****1382", "phone") == "*******1382"
    assert mask_value("13812345678", "phone") == "*******5678"
    assert mask_value("四川省成都市武侯区和平街道振兴路576号", "address") == "四川省成都市****"
    assert mask_value(None, "name") is None
    frame = pd.DataFrame({"order_no": ["1"], "receiver_name": ["王小明"], "receiver_phone": ["13812345678"]})
    masked = mask_frame(frame)
    assert masked.to_dict("records") == [
        {"order_no": "1", "receiver_name": "王**", "receiver_phone": "*******5678"}
    ]
    assert frame["receiver_name"][0] == "王小明"  # the cached original is untouched


DANGEROUS = pd.DataFrame(
    {
        "备注": ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "ok", None],
        "金额": [1.5, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    }
)
SAFE = ['\'=HYPERLINK("http://x")', "'+1", "'-2+3", "'@SUM(A1)", "'\tTAB", "'\rCR", "ok", None]


def test_text_cells_that_excel_would_run_are_neutralised_numbers_are_not():
    safe = neutralise(DANGEROUS)
    assert safe["备注"].tolist()[:7] == SAFE[:7]
    assert pd.isna(safe["备注"].iloc[7])
    assert safe["金额"].tolist() == DANGEROUS["金额"].tolist()


def test_xlsx_download_keeps_numbers_and_neutralises_text():
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(DANGEROUS, sheet="x")))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("备注", "金额")
    # XML normalises a stored CR to LF on reading; what matters is the leading apostrophe
    assert [r[0] for r in rows[1:]] == [*SAFE[:5], "'\nCR", "ok", None]
    assert [r[1] for r in rows[1:]] == [1.5, -2, 3, 4, 5, 6, 7, 8]  # numbers stay numbers (even negative)


def test_csv_download_is_utf8_with_bom_and_neutralised():
    data = to_csv_bytes(DANGEROUS)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    assert back["备注"].tolist()[:4] == SAFE[:4]
