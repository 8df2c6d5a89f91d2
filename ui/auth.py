"""Who is using the page: the first-run setup of the first administrator, the login (built-in password, or the
deployment's single sign-on through st.login when .streamlit/secrets.toml has an [auth] section), the account
box with 登出 in the sidebar.

The session holds only the random token of a login; every run asks the core (Services.actor) who it proves,
and every write asks again. Nothing here decides a permission: pages ask `Services.can` only to hide what an
account may not do and say why.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from metrics.accounts import Action, Decision, Roles, load_roles
from metrics.catalogue import plans_directory
from metrics.errors import InputError, KpiError
from metrics.services import Actor, LoginFailed, Services
from ui import screen
from ui.data import get_store
from ui.widgets import plain

TOKEN_KEY = "login_token"
NOTICE_KEY = "login_notice"
SSO_TRIED_KEY = "sso_tried_email"


@st.cache_resource(show_spinner=False)
def _roles(directory: str) -> Roles:
    return load_roles(Path(directory))


@st.cache_resource(show_spinner=False)
def _services(url: str, directory: str) -> Services:
    """One per store and catalogue (it holds no state of its own beyond the password hasher's settings)."""
    from ui.data import open_store

    return Services(open_store(url), _roles(directory))


def get_services() -> Services:
    store = get_store()
    return _services(store.url, str(plans_directory()))


def single_sign_on() -> bool:
    """Whether the deployment configured an OpenID Connect provider for st.login."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file, or one Streamlit cannot parse: no single sign-on
        return False


def _sso_user_email() -> str | None:
    """The e-mail the identity provider vouches for; an address it says is not verified is not used."""
    try:
        if st.user.is_logged_in:
            if st.user.get("email_verified") is False:
                return ""
            return str(st.user.get("email") or "")
    except Exception:  # st.user without an [auth] section
        return None
    return None


def current_actor(services: Services) -> Actor:
    """The account this browser session proved, or nobody; a login that ended (idle, disabled) says why once."""
    if single_sign_on() and not st.session_state.get(TOKEN_KEY):
        email = _sso_user_email()
        if email is not None and st.session_state.get(SSO_TRIED_KEY) != email:
            st.session_state[SSO_TRIED_KEY] = email  # one attempt (and one audit row) per identity, not per rerun
            try:
                st.session_state[TOKEN_KEY], _ = services.login_by_email(email)
            except LoginFailed as error:
                st.session_state[NOTICE_KEY] = plain(error)
    token = st.session_state.get(TOKEN_KEY)
    actor = services.actor(token if isinstance(token, str) else None)
    if token and actor.account is None:
        st.session_state.pop(TOKEN_KEY, None)
        if actor.ended and actor.ended != "已登出":
            st.session_state[NOTICE_KEY] = actor.ended
    return actor


def _log_in(services: Services, username_key: str, password_key: str) -> None:
    username = st.session_state.get(username_key, "")
    password = st.session_state.get(password_key, "")
    st.session_state[password_key] = ""  # a password never stays in the session
    try:
        st.session_state[TOKEN_KEY], account = services.login(username, password)
    except LoginFailed as error:
        st.session_state[NOTICE_KEY] = plain(error)
    except KpiError as error:
        st.session_state[NOTICE_KEY] = f"無法登入：{plain(error)}"
    else:
        st.session_state.pop(NOTICE_KEY, None)
        st.session_state["login_welcome"] = f"歡迎，{plain(account.display_name or account.username)}。"


def _log_out(services: Services, actor: Actor) -> None:
    try:
        services.logout(actor)
    finally:
        st.session_state.pop(TOKEN_KEY, None)
        st.session_state["login_welcome"] = "已登出。"
    if single_sign_on() and _sso_user_email():
        st.logout()


def login_form(services: Services, *, where: str) -> None:
    """The password form (and the single sign-on button when there is one)."""
    if single_sign_on():
        if _sso_user_email():  # signed in at the identity provider, but not matched to an account here
            st.button("改用其他機關帳號（登出單一登入）", key=f"sso_out_{where}", on_click=st.logout)
        else:
            st.button("以單一登入（機關帳號）登入", key=f"sso_{where}", on_click=st.login, type="primary")
        st.caption("或以本系統的帳號密碼登入：")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.error(notice)
    with st.form(key=f"login_form_{where}", enter_to_submit=True):
        st.text_input("帳號", key=f"login_username_{where}", autocomplete="username")
        st.text_input("密碼", type="password", key=f"login_password_{where}", autocomplete="current-password")
        st.form_submit_button("登入", on_click=_log_in,
                              args=(services, f"login_username_{where}", f"login_password_{where}"))


def account_box(services: Services, actor: Actor) -> None:
    """The sidebar's account: who is logged in and what they may do, or the login form."""
    welcome = st.session_state.pop("login_welcome", None)
    if welcome:
        st.toast(welcome)
    account = actor.account
    if account is None:
        with st.expander("登入", expanded=bool(st.session_state.get(NOTICE_KEY)), icon=":material/login:"):
            login_form(services, where="sidebar")
        st.caption("未登入：可檢視，不能上傳或修改。")
        return
    units = f"｜單位：{plain('、'.join(account.units))}" if account.units else ""
    st.caption(f"已登入：**{plain(account.shown)}**  \n{services.roles.labels(account.roles)}{units}")
    st.button("登出", key="logout", on_click=_log_out, args=(services, actor), icon=":material/logout:")


def first_run(services: Services) -> None:
    """A fresh install: the first visitor creates the administrator, then is logged in as them."""
    screen.install()  # this page stops before the sidebar, which otherwise puts Streamlit's English in Chinese
    st.title("首次使用：建立系統管理者")
    st.info("系統尚無任何帳號。請建立第一位**系統管理者**：之後由系統管理者在「帳號管理」建立填報人、計畫管理者與檢視者的帳號。"
            "此表單只在尚無帳號時出現一次。", icon=":material/admin_panel_settings:")
    with st.form(key="first_run"):
        username = st.text_input("帳號（英文字母、數字與 _ . @ -）", key="first_username", autocomplete="username")
        display_name = st.text_input("姓名", key="first_name")
        email = st.text_input("電子郵件（選填；使用單一登入時以此對應帳號）", key="first_email")
        password = st.text_input("密碼（至少 10 個字元）", type="password", key="first_password",
                                 autocomplete="new-password")
        again = st.text_input("再輸入一次密碼", type="password", key="first_password_again", autocomplete="new-password")
        submitted = st.form_submit_button("建立系統管理者並登入", type="primary")
    if not submitted:
        return
    if password != again:
        st.error("兩次輸入的密碼不同，請重新輸入。")
        return
    try:
        services.create_first_administrator(username, display_name, password, email)
        st.session_state[TOKEN_KEY], _ = services.login(username, password)
    except InputError as error:
        st.error("未建立帳號，請修正：\n\n" + "\n".join(f"- {plain(problem)}" for problem in error.problems))
        return
    except KpiError as error:
        st.error(f"未建立帳號：{plain(error)}")
        return
    st.session_state["login_welcome"] = f"已建立系統管理者 {plain(username.strip())}，並已登入。"
    st.rerun()


def require_view(services: Services, actor: Actor) -> None:
    """When viewing needs a login (a setting), nobody sees anything before logging in."""
    decision = services.can(actor, Action.VIEW)
    if decision.allowed:
        return
    st.title("請先登入")
    st.info("本系統設定為登入後才能檢視。", icon=":material/lock:")
    login_form(services, where="main")
    st.stop()


def refusal_text(decision: Decision) -> str:
    """Why a control is not shown, in the words of the core's decision, and whom to ask."""
    text = plain(decision.reason.rstrip("。")) + "。"
    if not text.startswith("請先登入") and "帳號管理" not in text:
        text += "如需此權限，請洽系統管理者。"
    return text


def refusal(decision: Decision, *, icon: str = ":material/lock:") -> None:
    st.info(refusal_text(decision), icon=icon)
