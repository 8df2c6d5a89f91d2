"""A light Streamlit client for the load benchmarks: a session as the browser's frontend opens it, without the
browser. It speaks Streamlit's own protocol (BackMsg / ForwardMsg protobufs over the WebSocket /_stcore/stream)
and does what the frontend does for a rerun, nothing more; it draws nothing.

- Opening: GET the page (nginx's sticky cookie kpi_route is kept, as a browser keeps it), /_stcore/health (it
  sets the _streamlit_xsrf cookie) and /_stcore/host-config, then the WebSocket with the cookies, the page's
  Origin and the subprotocols the frontend offers: ["streamlit", XSRF token or PLACEHOLDER_AUTH_TOKEN].
  permessage-deflate is offered as Chromium offers it (the server then compresses, as for a browser).
- The first rerun: rerun_script with the URL's query string, the page's name, no widget states and the
  context a zh-TW browser in Asia/Taipei sends.
- Every later rerun: rerun_script with the query string the app last set (page_info_changed), the page's script
  hash (new_session's, or the navigation message's when the app has one) and the value of every widget of the last run, as the frontend's widget manager keeps them
  (a value the server sets, set_value, replaces the one kept); the change is the one widget's new value.
- ForwardMsgs are read until script_finished. Messages the server marks cacheable are kept and their hashes sent
  with each rerun, references resolved, as the frontend's message cache does (aged out after
  max_cached_message_age runs).

Widgets whose values the client knows: selectbox, radio, checkbox/toggle, text_input, text_area, number_input and
multiselect, which is what the dashboard's pages draw in a session that has not logged in; a button is a
trigger and has no state until clicked. No login: the overview shows to anyone (「未登入：可檢視」).

tests/test_st_client.py shows that a month change through this client and through Chromium send the same
rerun_script and make the server run the page once and send the same elements.

    python benchmarks/st_client.py http://127.0.0.1:8501/ --month 5   # one session, one month change, printed
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

SUBPROTOCOL = "streamlit"
NO_TOKEN = "PLACEHOLDER_AUTH_TOKEN"  # what the frontend offers when it has no XSRF cookie
TIMEZONE, TIMEZONE_OFFSET, LOCALE = "Asia/Taipei", -480, "zh-TW"
SIDEBAR = 1  # delta_path[0]: RootContainer.SIDEBAR (MAIN is 0)
FINISHED = {ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
            ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN


class ProtocolError(Exception):
    """The server said something a browser would show as an error, or closed the session."""


@dataclass
class Element:
    path: tuple[int, ...]
    kind: str  # the Element's oneof ("selectbox", "heading", …) or "block" for add_block
    proto: object  # the element's own message (Selectbox, Heading, …) or the Block

    def text(self) -> str:
        return getattr(self.proto, "body", "") if self.kind in ("heading", "markdown") else ""


@dataclass
class Run:
    """What one change brought: every script run the server started for it and the elements of the last."""

    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)
    script_runs: int = 0  # new_session messages: the server started the script this many times
    finished: list[int] = field(default_factory=list)  # script_finished statuses, in order
    query_string: str = ""
    messages: int = 0
    bytes: int = 0

    def texts(self, kind: str, *, root: int = 0) -> list[str]:
        return [element.text() for path, element in self.elements.items() if element.kind == kind
                and path[0] == root]

    def widget(self, label: str, *, root: int = SIDEBAR) -> Element:
        for path, element in self.elements.items():
            if path[0] == root and getattr(element.proto, "label", None) == label and getattr(element.proto, "id", ""):
                return element
        raise ProtocolError(f"no widget labelled {label!r} in the run")

    def shape(self) -> list[tuple[tuple[int, ...], str]]:
        return [(path, element.kind) for path, element in self.elements.items()]


def widget_value(kind: str, proto) -> WidgetState | None:
    """The value the frontend holds for a widget the server has just drawn (its set value, else its default)."""
    state = WidgetState(id=proto.id)
    if kind in ("selectbox", "radio"):
        if proto.HasField("raw_value"):
            state.string_value = proto.raw_value
        elif proto.HasField("default") and 0 <= proto.default < len(proto.options):
            state.string_value = proto.options[proto.default]
        else:
            return None
    elif kind == "checkbox":
        state.bool_value = proto.value if proto.set_value else proto.default
    elif kind in ("text_input", "text_area"):
        if proto.HasField("value"):
            state.string_value = proto.value
        elif proto.HasField("default"):
            state.string_value = proto.default
        else:
            return None
    elif kind == "number_input":
        number = proto.value if proto.HasField("value") else proto.default if proto.HasField("default") else None
        if number is None:
            return None
        if proto.data_type == proto.DataType.INT:
            state.int_value = int(number)
        else:
            state.double_value = number
    elif kind == "multiselect":
        values = list(proto.raw_values) if proto.set_value else [proto.options[index] for index in proto.default]
        state.string_array_value.data.extend(values)
    else:
        return None
    return state


class Decoder:
    """ForwardMsgs into runs, with the frontend's message cache (also used on frames a browser received)."""

    def __init__(self) -> None:
        self.cache: dict[str, tuple[bytes, int]] = {}  # hash → (message, run count when cached)
        self.run_count = 0
        self.max_age = 2
        self.page_script_hash = ""
        self.query_string = ""
        self.run = Run()

    def feed(self, data: bytes) -> ForwardMsg:
        message = ForwardMsg()
        message.ParseFromString(data)
        kind = message.WhichOneof("type")
        if kind == "ref_hash":
            cached = self.cache.get(message.ref_hash)
            if cached is None:
                raise ProtocolError(f"cached ForwardMsg missing: {message.ref_hash}")
            resolved = ForwardMsg()
            resolved.ParseFromString(cached[0])
            resolved.metadata.CopyFrom(message.metadata)
            message, kind = resolved, resolved.WhichOneof("type")
        elif message.metadata.cacheable and message.hash and message.hash not in self.cache:
            self.cache[message.hash] = (data, self.run_count)
        self.run.messages += 1
        self.run.bytes += len(data)
        if kind == "new_session":
            self.run.script_runs += 1
            self.run.elements = {}
            self.page_script_hash = message.new_session.page_script_hash
            self.max_age = message.new_session.config.max_cached_message_age or self.max_age
        elif kind == "delta":
            path = tuple(message.metadata.delta_path)
            delta = message.delta
            which = delta.WhichOneof("type")
            if which == "new_element":
                element_kind = delta.new_element.WhichOneof("type")
                self.run.elements[path] = Element(path, element_kind, getattr(delta.new_element, element_kind))
            elif which == "add_block":
                self.run.elements[path] = Element(path, "block", delta.add_block)
        elif kind == "navigation" and message.navigation.page_script_hash:
            self.page_script_hash = message.navigation.page_script_hash  # the page run (st.navigation's)
        elif kind == "page_info_changed":
            self.query_string = self.run.query_string = message.page_info_changed.query_string
        elif kind == "script_finished":
            self.run.finished.append(message.script_finished)
            if message.script_finished != EARLY:
                self.run_count += 1
                self.cache = {key: value for key, value in self.cache.items()
                              if self.run_count - value[1] <= self.max_age}
        elif kind == "session_event" and message.session_event.WhichOneof("type") == "script_compilation_exception":
            raise ProtocolError(f"the script did not compile: {message.session_event}")
        return message

    def start(self) -> Run:
        self.run = Run(query_string=self.query_string)
        return self.run


class Session:
    """One Streamlit session through `base` (a server or a proxy in front of several)."""

    def __init__(self, base: str, *, timeout: float = 300.0) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.decoder = Decoder()
        self.widgets: dict[str, WidgetState] = {}  # the frontend's widget manager: id → current value
        self.socket = None
        self.url = ""
        self.page_name = ""
        self.last: Run | None = None
        self.sent: list[BackMsg] = []

    # ---- opening ----

    def _get(self, path: str) -> bytes:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        with opener.open(f"{self.base}{path}", timeout=self.timeout) as response:
            return response.read()

    def _cookie_header(self) -> str:
        request = urllib.request.Request(f"{self.base}/_stcore/stream")
        self.cookies.add_cookie_header(request)
        return request.get_header("Cookie") or ""

    async def open(self, path: str = "/", query: str = "") -> Run:
        """The page loaded, the WebSocket open, the first run finished; returns that run."""
        from websockets.asyncio.client import connect

        self.url = f"{self.base}{path}" + (f"?{query}" if query else "")
        self.page_name = urllib.parse.unquote(path.strip("/"))
        await asyncio.to_thread(self._get, path + (f"?{query}" if query else ""))
        await asyncio.to_thread(self._get, "/_stcore/health")
        await asyncio.to_thread(self._get, "/_stcore/host-config")
        token = next((cookie.value for cookie in self.cookies if cookie.name == "_streamlit_xsrf"), None)
        parts = urllib.parse.urlsplit(self.base)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.socket = await connect(f"{scheme}://{parts.netloc}{parts.path}/_stcore/stream",
                                    subprotocols=[SUBPROTOCOL, token or NO_TOKEN],
                                    origin=f"{parts.scheme}://{parts.netloc}",
                                    additional_headers={"Cookie": self._cookie_header()},
                                    max_size=None, ping_interval=None, open_timeout=self.timeout)
        self.decoder.query_string = query
        return await self._rerun(first=True)

    # ---- reruns ----

    def rerun_message(self, *, first: bool = False, fragment: str = "") -> BackMsg:
        message = BackMsg()
        rerun = message.rerun_script
        rerun.query_string = self.decoder.query_string
        rerun.widget_states.SetInParent()  # present, if empty, as the frontend's first rerun sends it
        if first:
            rerun.page_name = self.page_name
        else:
            rerun.page_script_hash = self.decoder.page_script_hash
            rerun.widget_states.widgets.extend(self.widgets.values())
        if fragment:
            rerun.fragment_id = fragment
        rerun.cached_message_hashes.extend(self.decoder.cache)
        context = rerun.context_info
        context.timezone, context.timezone_offset, context.locale = TIMEZONE, TIMEZONE_OFFSET, LOCALE
        context.url, context.is_embedded, context.color_scheme = self.url, False, "light"
        return message

    async def _rerun(self, *, first: bool = False) -> Run:
        message = self.rerun_message(first=first)
        run = self.decoder.start()
        self.sent.append(message)
        await self.socket.send(message.SerializeToString())
        await self.read_until_finished(run)
        return run

    async def read_until_finished(self, run: Run) -> None:
        """ForwardMsgs until the script has finished (a run ended early for a rerun is followed by that rerun)."""
        from websockets.exceptions import ConnectionClosed

        deadline = time.monotonic() + self.timeout
        while not run.finished or run.finished[-1] == EARLY:
            try:
                data = await asyncio.wait_for(self.socket.recv(), max(deadline - time.monotonic(), 0.001))
            except (ConnectionClosed, TimeoutError) as error:
                raise ProtocolError(f"no script_finished: {type(error).__name__} {error}") from None
            if isinstance(data, str):
                raise ProtocolError("the server sent text; Streamlit sends only binary protobufs")
            self.decoder.feed(data)
        if run.finished[-1] not in FINISHED:
            raise ProtocolError(f"the script finished with status {run.finished[-1]}")
        self._keep_widgets(run)
        self.last = run

    def _keep_widgets(self, run: Run) -> None:
        """As the frontend: the widgets drawn in the run are the active ones; a value set by the server replaces the
        one kept, otherwise the kept one stays."""
        active: dict[str, WidgetState] = {}
        for element in run.elements.values():
            widget_id = getattr(element.proto, "id", "") if element.kind != "block" else ""
            if not widget_id:
                continue
            kept = self.widgets.get(widget_id)
            if kept is not None and not getattr(element.proto, "set_value", False):
                active[widget_id] = kept
            elif (state := widget_value(element.kind, element.proto)) is not None:
                active[widget_id] = state
        self.widgets = active

    async def select(self, label: str, option: str, *, root: int = SIDEBAR) -> Run:
        """Choose `option` (as the select box shows it) in the selectbox labelled `label`; the run it makes."""
        assert self.last is not None, "open() first"
        element = self.last.widget(label, root=root)
        if element.kind not in ("selectbox", "radio"):
            raise ProtocolError(f"{label!r} is a {element.kind}, not a select box")
        if option not in element.proto.options:
            raise ProtocolError(f"{option!r} is not among {list(element.proto.options)}")
        self.widgets[element.proto.id] = WidgetState(id=element.proto.id, string_value=option)
        return await self._rerun()

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
            self.socket = None


async def _main(url: str, month: int, label: str) -> None:
    parts = urllib.parse.urlsplit(url)
    session = Session(f"{parts.scheme}://{parts.netloc}")
    try:
        started = time.perf_counter()
        run = await session.open(parts.path or "/", parts.query)
        print(f"opened in {time.perf_counter() - started:.2f} s: {len(run.elements)} elements, "
              f"h3 {run.texts('heading')[1:2]}")
        options = list(run.widget(label).proto.options)
        started = time.perf_counter()
        run = await session.select(label, options[month - 1])
        print(f"{options[month - 1]} in {time.perf_counter() - started:.2f} s: {run.script_runs} script run(s), "
              f"{len(run.elements)} elements, {run.messages} messages, {run.bytes:,} bytes, "
              f"headings {run.texts('heading')}, query {run.query_string}")
    finally:
        await session.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--month", type=int, default=5, help="the option's position, 1-based (default 5)")
    parser.add_argument("--label", default="統計至")
    arguments = parser.parse_args()
    asyncio.run(_main(arguments.url, arguments.month, arguments.label))
