"""Who is using the page: the first-run setup of the first administrator, the login (built-in password, or the
deployment's single sign-on through st.login when .streamlit/secrets.toml has an [auth] section), the account
box with 登出 in the sidebar.

The session holds only the random token of a login; every run asks the core (Services.actor) who it proves,
and every write asks again. Nothing here decides a permission: pages ask `Services.can` only to hide what an
account may not do and say why.

A password login is kept across reloads, new tabs and bookmarks by a cookie holding the same token (written by
a script, as Streamlit cannot set cookies; docs/帳號與權限.md says what is stored where and why). A new session
(a reload) reads it once, from the request that opened the session, and asks the core as for any token: an
ended, expired, unknown or disabled account's token is refused and the cookie cleared.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import streamlit as st

from metrics.services.accounts import DISPLAY_NAME_MAX, USERNAME_MAX, Decision, Settings
from metrics.plans.roles import Action, Roles, load_roles
from metrics.plans.catalogue import plans_directory
from metrics.errors import InputError, KpiError
from metrics.services.inputs import EMAIL_MAX
from metrics.intake.parsing import TAIWAN, format_taiwan_time
from metrics.services import Actor, LoginFailed, Services
from ui import screen
from ui.cycle import LANDING_KEY
from ui.data import get_store, kept_per_process
from ui.widgets import escape_markdown

TOKEN_KEY = "login_token"
NOTICE_KEY = "login_notice"
SSO_TRIED_KEY = "sso_tried_email"
COOKIE = "kpi_login"
COOKIE_TRIED_KEY = "login_cookie_tried"  # the cookie's token already tried by this session: never again
COOKIE_ACTION_KEY = "login_cookie_action"  # {"set": token} or {"clear": token}, written by the next run
QUIET_KEY = "login_quiet_run"  # the next run is the account box's timer's, not the person's: no activity
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")  # secrets.token_urlsafe(32); anything else is not ours
EXPIRY_MARGIN_SECONDS = 2  # the box checks just after the expiry, when the core surely says it has ended

# Written only when a login starts or ends here. SameSite=Strict: no other site's page or request carries it,
# not even a cross-site WebSocket; Secure over https; no Max-Age: the browser forgets it when it closes. It is
# cleared only while it still holds the token that ended, so that another tab's newer login is kept.
COOKIE_SCRIPT = """
(() => {
  const action = %(action)s;
  const attributes = "; Path=" + %(path)s + "; SameSite=Strict" + (location.protocol === "https:" ? "; Secure" : "");
  if (action.set) {
    document.cookie = %(name)s + "=" + action.set + attributes;
  } else if (document.cookie.split("; ").includes(%(name)s + "=" + action.clear)) {
    document.cookie = %(name)s + "=" + attributes + "; Max-Age=0";
  }
})();
"""


@kept_per_process()
def _roles(directory: str) -> Roles:
    return load_roles(Path(directory))


@kept_per_process()
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
    """The account this browser session proved, or nobody; a login that ended (idle, disabled) says why once.
    A new session without a login resumes the one whose token the browser's cookie holds, if it is still valid."""
    if single_sign_on() and not st.session_state.get(TOKEN_KEY):
        email = _sso_user_email()
        if email is not None and st.session_state.get(SSO_TRIED_KEY) != email:
            st.session_state[SSO_TRIED_KEY] = email  # one attempt (and one audit row) per identity, not per rerun
            try:
                st.session_state[TOKEN_KEY], account = services.login_by_email(email)
                _land(account)
            except LoginFailed as error:
                st.session_state[NOTICE_KEY] = escape_markdown(error)
    if not st.session_state.get(TOKEN_KEY):
        cookie = browser_token()
        if cookie is not None and st.session_state.get(COOKIE_TRIED_KEY) != cookie:
            # The cookie stays as the session was opened with it: after a logout here it must not log in again.
            st.session_state[COOKIE_TRIED_KEY] = cookie
            st.session_state[TOKEN_KEY] = cookie
    token = st.session_state.get(TOKEN_KEY)
    actor = services.actor(token if isinstance(token, str) else None,
                           touch=not st.session_state.pop(QUIET_KEY, False))
    if token and actor.account is None:
        _ended(token, actor)
    write_cookie()
    return actor


def browser_token() -> str | None:
    """The login token in the cookie the browser sent when this session connected, if it has our shape."""
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this session (a script run without a client)
        return None
    return value if isinstance(value, str) and TOKEN_SHAPE.fullmatch(value) else None


def _ended(token: str, actor: Actor) -> None:
    """A login this session held is no longer valid: forget it here and in the browser, and say why once."""
    st.session_state.pop(TOKEN_KEY, None)
    _cookie("clear", token)
    if actor.ended and actor.ended != "已登出":
        st.session_state[NOTICE_KEY] = actor.ended


def _cookie(action: str, token: str) -> None:
    st.session_state[COOKIE_ACTION_KEY] = {action: token}


def cookie_path() -> str:
    """The app's own path: the cookie is not sent to other applications on the same server."""
    return "/" + str(st.get_option("server.baseUrlPath") or "").strip("/")


def write_cookie() -> None:
    """The browser's copy of the login, set or cleared as the last login or logout here left it (nothing
    when neither happened since the last run). The script is kept out of the layout."""
    action = st.session_state.pop(COOKIE_ACTION_KEY, None)

    def literal(value: object) -> str:
        return json.dumps(value).replace("<", "\\u003c")

    # An element on every run, even without an action: one that came and went would shift the page's elements
    # after it, and Streamlit would draw them anew (a chosen tab jumped back to the first after a login).
    script = COOKIE_SCRIPT % {"action": literal(action), "name": literal(COOKIE), "path": literal(cookie_path())} \
        if action else ""
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def _log_in(services: Services, username_key: str, password_key: str) -> None:
    username = st.session_state.get(username_key, "")
    password = st.session_state.get(password_key, "")
    st.session_state[password_key] = ""  # a password never stays in the session
    try:
        st.session_state[TOKEN_KEY], account = services.login(username, password)
    except LoginFailed as error:
        st.session_state[NOTICE_KEY] = escape_markdown(error)
    except KpiError as error:
        st.session_state[NOTICE_KEY] = f"無法登入：{escape_markdown(error)}"
    else:
        _cookie("set", st.session_state[TOKEN_KEY])
        st.session_state.pop(NOTICE_KEY, None)
        st.session_state["login_welcome"] = f"歡迎，{escape_markdown(account.display_name or account.username)}。"
        _land(account)


def _land(account) -> None:
    """A reporter lands on their own unit, unless a link or the sidebar already chose one."""
    if account.units and "period_unit_chosen" not in st.session_state:
        st.session_state[LANDING_KEY] = account.units


def _log_out(services: Services, actor: Actor) -> None:
    try:
        services.logout(actor)
    finally:
        st.session_state.pop(TOKEN_KEY, None)
        st.session_state.pop(LANDING_KEY, None)
        if actor.token:
            _cookie("clear", actor.token)
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
        st.text_input("帳號", key=f"login_username_{where}", autocomplete="username", max_chars=USERNAME_MAX)
        st.text_input("密碼", type="password", key=f"login_password_{where}", autocomplete="current-password")
        st.form_submit_button("登入", on_click=_log_in,
                              args=(services, f"login_username_{where}", f"login_password_{where}"))


def account_box(services: Services, actor: Actor) -> None:
    """The sidebar's account: who is logged in, what they may do and when the login ends, or the login form.
    It is a fragment that reruns by itself just after the login's expiry, so that it never says 已登入 for a
    login that has ended (one short run per idle period, not a poll)."""
    if actor.account is None or actor.expires_at is None:
        # Nothing to time: the login form submits with the page itself, one run (a fragment's own run would
        # first have to ask for the page's, and a loaded server made that second wait long).
        _account_details(services, actor)
        return
    seconds = max((actor.expires_at - services.clock()).total_seconds(), 0) + EXPIRY_MARGIN_SECONDS
    st.fragment(_account_fragment, run_every=seconds)(services, {"actor": actor, "drawn": False})


def _account_fragment(services: Services, state: dict) -> None:
    """Drawn with the page, then again alone by its timer or by its own login or logout."""
    if state["drawn"]:
        _check_again(services, state)
    state["drawn"] = True
    _account_details(services, state["actor"])


def _check_again(services: Services, state: dict) -> None:
    """The box's own run: a login or logout in it redraws the page; at the expiry, an ended login is shown
    ended. The rest of the page stays as it is until the person does something (a note being typed is not
    lost; the page's next run shows it logged out, and a write is refused anyway), unless viewing needs a
    login: then the page is redrawn at once, and shows only the login form."""
    shown: Actor = state["actor"]
    token = st.session_state.get(TOKEN_KEY)
    if token != shown.token:
        st.rerun()
    if not token:
        return
    try:
        actor = services.actor(token, touch=False)  # the timer is not the person's activity
    except KpiError:
        return  # the store does not answer now: the page's next run says so
    if actor.account is not None:
        st.session_state[QUIET_KEY] = True
        st.rerun()  # activity in another tab moved the expiry: the page again, to time the next check
    _ended(token, actor)
    if services.settings().view_needs_login:
        st.rerun()
    write_cookie()
    state["actor"] = actor


def expiry_text(actor: Actor, now: dt.datetime) -> str:
    """When the login ends, in Taiwan time (with the date when it is not today)."""
    if actor.expires_at is None:
        return ""
    end = actor.expires_at.astimezone(TAIWAN)
    when = end.strftime("%H:%M") if end.date() == now.astimezone(TAIWAN).date() else format_taiwan_time(end)
    return f"若無操作，將於 {when} 自動登出" if actor.by_idle else f"將於 {when} 自動登出（登入時間上限）"


def _account_details(services: Services, actor: Actor) -> None:
    welcome = st.session_state.pop("login_welcome", None)
    if welcome:
        st.toast(welcome)
    account = actor.account
    if account is None:
        with st.expander("登入", expanded=bool(st.session_state.get(NOTICE_KEY)), icon=":material/login:"):
            login_form(services, where="sidebar")
        st.caption("未登入：可檢視，不能上傳或修改。")
        return
    units = f"｜單位：{escape_markdown('、'.join(account.units))}" if account.units else ""
    expiry = expiry_text(actor, services.clock())
    st.caption(f"已登入：**{escape_markdown(account.shown)}**  \n{services.roles.labels(account.roles)}{units}"
               + (f"  \n{expiry}" if expiry else ""))
    st.button("登出", key="logout", on_click=_log_out, args=(services, actor), icon=":material/logout:")


def first_run(services: Services) -> None:
    """A fresh install: the first visitor creates the administrator, then is logged in as them."""
    screen.install()  # this page stops before the sidebar, which otherwise puts Streamlit's English in Chinese
    st.title("首次使用：建立系統管理者")
    st.info("系統尚無任何帳號。請建立第一位**系統管理者**：之後由系統管理者在「帳號管理」建立填報人、計畫管理者與檢視者的帳號。"
            "此表單只在尚無帳號時出現一次。", icon=":material/admin_panel_settings:")
    with st.form(key="first_run"):
        username = st.text_input("帳號（英文字母、數字與 _ . @ -）", key="first_username", autocomplete="username",
                                 max_chars=USERNAME_MAX)
        display_name = st.text_input("姓名", key="first_name", max_chars=DISPLAY_NAME_MAX)
        email = st.text_input("電子郵件（選填；使用單一登入時以此對應帳號）", key="first_email", max_chars=EMAIL_MAX)
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
        _cookie("set", st.session_state[TOKEN_KEY])
    except InputError as error:
        st.error("未建立帳號，請修正：\n\n" + "\n".join(f"- {escape_markdown(problem)}" for problem in error.problems))
        return
    except KpiError as error:
        st.error(f"未建立帳號：{escape_markdown(error)}")
        return
    st.session_state["login_welcome"] = f"已建立系統管理者 {escape_markdown(username.strip())}，並已登入。"
    st.rerun()


def require_view(services: Services, actor: Actor, settings: Settings | None = None) -> None:
    """When viewing needs a login (a setting), nobody sees anything before logging in. `settings`: as the page
    read them on this run (one read of the store fewer)."""
    decision = services.can(actor, Action.VIEW, settings=settings)
    if decision.allowed:
        return
    st.title("請先登入")
    st.info("本系統設定為登入後才能檢視。", icon=":material/lock:")
    login_form(services, where="main")
    st.stop()


def refusal_text(decision: Decision) -> str:
    """Why a control is not shown, in the words of the core's decision, and whom to ask."""
    text = escape_markdown(decision.reason.rstrip("。")) + "。"
    if not text.startswith("請先登入") and "帳號管理" not in text:
        text += "如需此權限，請洽系統管理者。"
    return text


def refusal(decision: Decision, *, icon: str = ":material/lock:") -> None:
    st.info(refusal_text(decision), icon=icon)
