"""Login and the current user's role for the dashboards (the access table is pipelines/access.py).

The signed-in user's name lives in Streamlit's server-side session state; the role is read again from
the users file on every rerun, so a role change or a removed user takes effect at once.
"""

from __future__ import annotations

import streamlit as st

from pipelines import access

SESSION_KEY = "orderlens_user"


def current_user() -> str | None:
    return st.session_state.get(SESSION_KEY)


def current_role() -> str | None:
    name = current_user()
    if name is None:
        return None
    try:
        return access.user_role(name)
    except ValueError:
        return None


def can(permission: str) -> bool:
    role_name = current_role()
    return role_name is not None and access.has_permission(role_name, permission)


def login_form() -> None:
    """The sign-in page (the only page before sign-in)."""
    st.title("orderlens 登录 Sign in")
    try:
        users = access.load_users()
    except ValueError as exc:
        st.error(f"用户配置文件有误 Users file error: {exc}")
        return
    if not users:
        st.warning(
            f"还没有用户 No users yet (`{access.users_file()}`). "
            "Create one: `orderlens user add NAME --role admin`, or run `orderlens demo` / `make run`, "
            "which creates a demo admin and prints its password."
        )
        return
    demo_note = access.users_file().with_name(access.DEMO_LOGIN)
    if demo_note.exists():
        st.caption(
            f"演示账号 Demo login: user `admin`, password in `{demo_note}` (created by `orderlens demo`)."
        )
    with st.form("login"):
        name = st.text_input("用户名 User", key="login_user")
        password = st.text_input("密码 Password", type="password", key="login_password")
        submitted = st.form_submit_button("登录 Sign in")
    if submitted:
        if access.authenticate(name.strip(), password):
            st.session_state[SESSION_KEY] = name.strip()
            st.rerun()
        st.error("用户名或密码错误 Wrong user name or password")


def logout() -> None:
    st.session_state.pop(SESSION_KEY, None)


def require(page_key: str) -> None:
    """First statement of every view: stop unless the signed-in user's role may see this page (defence
    in depth; app.py already gives st.navigation only the allowed pages)."""
    role_name = current_role()
    if role_name is None or page_key not in access.allowed_pages(role_name):
        st.error("无权访问此页面 You may not see this page.")
        st.stop()
