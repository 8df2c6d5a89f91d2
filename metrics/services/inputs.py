"""What the service layer accepts besides permissions: a year and a unit that have a plan in the store, a month of
the year, an indicator or a field of that plan, an account's name, e-mail, roles and units, the types every
service takes, and sizes a person could have typed. A refusal is an InputError naming the field, the value and
what was expected, and nothing is written.

Texts are cleaned elsewhere; this module checks ranges, ids, shapes and sizes only.
"""

from __future__ import annotations

import json
import numbers
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from metrics.services.accounts import DISPLAY_NAME_MAX
from metrics.plans.catalogue import Units
from metrics.errors import InputError, Problem
from metrics.outputs.presentation import SCENARIO_VERSION
from metrics.store import Store
from metrics.texts import TextKind, text_problems

SCENARIO_NAME_MAX = 100  # characters
SCENARIO_PAYLOAD_MAX = 64 * 1024  # bytes of its JSON: a county plan's targets, weights and a year of additions fit
SCENARIO_KEYS = ("version", "targets", "weights", "additions")  # what the what-if editor writes
ADDITION_KEYS = ("field", "month", "amount")
NUMBER_MAX = 40  # characters of one number as text
MAPPING_HEADER_MAX = 200  # characters of one header a mapping names
PLAN_YEARS = range(100, 200)  # ROC years (民國 100 = 2011) a plan may be for
_SIGNATURE = re.compile(r"^[0-9a-f]{16}$")  # metrics.intake.exports.common.mapping_signature
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
EMAIL_MAX = 254  # characters (RFC 5321's limit of a forward path)
# A simple shape, not RFC 5322: local@domain.tld, no spaces, brackets, quotes or commas; letters of any script.
EMAIL = re.compile(r"^[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]+(\.[\w-]+)*\.[^\W\d_]{2,}$")


def _shown(value: object, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}…（共 {len(text):,} 字）"


shown = _shown


def _refuse(message: str, field: str, value: object) -> InputError:
    return InputError(Problem(message, field=field, value=_shown(value)))


@dataclass(frozen=True)
class PlanFacts:
    """What the checks need of the plan in force for one (year, unit)."""

    year: int
    unit: str
    indicators: tuple[str, ...]
    fields: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.unit} {self.year} 年度計畫"


def _integer(value: object, field: str) -> int:
    # numbers.Integral: a year or month taken from a DataFrame is a numpy integer; a bool (numpy's too) is not one.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _refuse(f"「{_shown(value)}」不是整數。", field, value)
    return int(value)


check_integer = _integer


def check_text(value: object, field: str) -> str:
    """A text argument (what is in it is checked by its own rule); None, a number or a list is refused."""
    if not isinstance(value, str):
        raise _refuse(f"「{_shown(value)}」不是文字。", field, value)
    return value


def check_optional_text(value: object, field: str) -> str | None:
    return None if value is None else check_text(value, field)


def check_flag(value: object, field: str) -> bool:
    """是／否: True or False only (a text 「否」 or the number 0 would be read as one or the other)."""
    if not isinstance(value, bool):
        raise _refuse(f"應為 True（是）或 False（否），收到的是 {type(value).__name__}「{_shown(value)}」。", field, value)
    return value


def check_instance(value: object, kind: type, field: str, expected: str) -> None:
    if not isinstance(value, kind):
        raise _refuse(f"應為{expected}，收到的是 {type(value).__name__}。", field, type(value).__name__)


# ---- accounts ----

def check_display_name(name: object) -> str:
    """A person's name as the account shows it (may be empty: the username is shown then), stripped."""
    name = check_text(name, "姓名").strip()
    if len(name) > DISPLAY_NAME_MAX:
        raise _refuse(f"姓名「{_shown(name)}」有 {len(name):,} 個字，超過上限 {DISPLAY_NAME_MAX} 個字；請縮短。", "姓名", name)
    return name


def check_email(email: object) -> str:
    """An e-mail address (single sign-on finds the account by it), stripped; '' for none."""
    email = check_text(email, "電子郵件").strip()
    if len(email) > EMAIL_MAX:
        raise _refuse(f"電子郵件「{_shown(email)}」有 {len(email):,} 個字，超過上限 {EMAIL_MAX} 個字。", "電子郵件", email)
    problems = text_problems(email, TextKind.LINE, "電子郵件")  # an invisible character: say which one
    if problems:
        raise InputError(problems)
    if email and not EMAIL.match(email):
        raise _refuse(f"「{_shown(email)}」不是電子郵件地址：應寫成 名稱@網域，例如 wang@mail.hsinchu.gov.tw，"
                      "不含空格、括號或逗號；留空表示不用單一登入。", "電子郵件", email)
    return email


def check_names(values: object, field: str, limit: int) -> tuple[str, ...]:
    """A list of names (roles, units): a list of texts, each once, at most `limit` of them."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Sequence):
        raise _refuse(f"應為{field}的清單，收到的是 {type(values).__name__}「{_shown(values)}」。", field, values)
    values = list(values)
    if len(values) > limit:
        raise _refuse(f"共 {len(values):,} 個，超過上限 {limit} 個（可選的{field}只有 {limit} 個）。", field,
                      "、".join(map(str, values)))
    for value in values:
        check_text(value, field)
    repeated = sorted({value for value in values if values.count(value) > 1}, key=values.index)
    if repeated:
        raise _refuse(f"「{_shown('、'.join(repeated))}」重複；每個{field}只列一次。", field, "、".join(repeated))
    return tuple(values)


def check_units(units: object, known: Units) -> tuple[str, ...]:
    """An account's units: each a unit of the county's catalogue (units.toml), by the name the store keys it by."""
    units = check_names(units, "負責單位", len(known.units))
    problems = []
    for unit in units:
        if unit in known.by_name:
            continue
        found = known.resolve(unit)
        if found is not None:
            hint = f"請改用單位目錄中的名稱「{found.name}」"
        else:
            nearest = known.nearest(unit, limit=3)
            hint = (f"最接近的是：{'、'.join(nearest)}" if nearest else
                    f"本府的單位：{'、'.join(item.name for item in known.units[:10])}"
                    f"{'等' if len(known.units) > 10 else ''}") + "；單位目錄見計畫目錄中的 units.toml"
        problems.append(Problem(f"「{_shown(unit)}」不是單位目錄中的單位名稱；{hint}。", field="負責單位", value=_shown(unit)))
    if problems:
        raise InputError(problems)
    return units


def planned(store: Store, year: object, unit: object) -> PlanFacts:
    """The plan in force (the store's latest version) of (year, unit); an InputError says which years or units
    have one when there is none."""
    year = _integer(year, "年度")
    if not isinstance(unit, str) or not unit.strip():
        raise _refuse(f"單位「{_shown(unit)}」不是單位名稱。", "單位", unit)
    stored = store.plan_version(year, unit)
    if stored is None:
        plans = [(version.year, version.unit) for version in store.plan_versions(latest_only=True)]
        units_of_year = sorted(name for plan_year, name in plans if plan_year == year)
        years_of_unit = sorted({plan_year for plan_year, name in plans if name == unit})
        if years_of_unit:
            raise _refuse(f"{_shown(unit)}沒有 {year} 年度的計畫；資料庫中此單位有計畫的年度："
                          f"{'、'.join(map(str, years_of_unit))}。", "年度", year)
        if units_of_year:
            raise _refuse(f"單位「{_shown(unit)}」沒有 {year} 年度的計畫；{year} 年度有計畫的單位："
                          f"{'、'.join(units_of_year)}。", "單位", unit)
        years = sorted({plan_year for plan_year, _ in plans})
        raise _refuse(f"{year} 年度沒有任何計畫；資料庫中有計畫的年度：{'、'.join(map(str, years)) or '（無）'}。",
                      "年度", year)
    document = tomllib.loads(stored.document)  # self-contained (metrics.plans.catalogue.plan_document)
    return PlanFacts(year, unit, tuple(str(item.get("id")) for item in document.get("indicator", [])),
                     tuple(str(item.get("code")) for item in document.get("field", [])))


def check_month(month: object) -> int:
    month = _integer(month, "月份")
    if not 1 <= month <= 12:
        raise _refuse(f"「{month}」不是月份：應為 1 至 12。", "月份", month)
    return month


def check_indicator(facts: PlanFacts, indicator_id: object) -> str:
    if not isinstance(indicator_id, str) or indicator_id not in facts.indicators:
        raise _refuse(f"指標「{_shown(indicator_id)}」不在{facts.label}中；計畫的指標：{'、'.join(facts.indicators)}。",
                      "指標", indicator_id)
    return indicator_id


def check_plan_year(year: object) -> int:
    year = _integer(year, "年度")
    if year not in PLAN_YEARS:
        raise _refuse(f"「{year}」不是可用的年度：應為民國 {PLAN_YEARS.start} 至 {PLAN_YEARS.stop - 1} 年（例如 112）。",
                      "年度", year)
    return year


def _number(value: object, field: str, *, at_least: Decimal | None = None) -> Decimal:
    """A number as the what-if editor writes it: exact decimal text (or an integer), finite."""
    text = str(value).strip()
    number = None
    if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool) and len(text) <= NUMBER_MAX \
            and _PLAIN_NUMBER.match(text):  # no exponent: 1e999999 would cost the evaluation a million digits
        number = Decimal(text)
    if number is None:
        raise _refuse(f"「{_shown(value)}」不是數字：應為十進位數字，例如 95 或 12.5。", field, value)
    if at_least is not None and number < at_least:
        raise _refuse(f"「{_shown(value)}」不可小於 {at_least}。", field, value)
    return number


def check_scenario_name(name: object) -> str:
    if not isinstance(name, str):
        raise _refuse(f"「{_shown(name)}」不是文字。", "情境名稱", name)
    if len(name.strip()) > SCENARIO_NAME_MAX:
        raise _refuse(f"名稱有 {len(name.strip()):,} 個字，超過上限 {SCENARIO_NAME_MAX} 個字；請縮短名稱。", "情境名稱", name)
    return name


def check_scenario(facts: PlanFacts, name: object, payload: object) -> None:
    """A scenario as the what-if editor saves it (metrics.outputs.presentation.scenario_payload), for this plan."""
    check_scenario_name(name)
    if not isinstance(payload, Mapping):
        raise _refuse("情境內容應為目標、權重與假設增加數字的表格。", "情境內容", type(payload).__name__)
    unknown = [key for key in payload if key not in SCENARIO_KEYS]
    if unknown:
        raise _refuse(f"不認得的項目「{_shown('、'.join(map(str, unknown)))}」：情境只含 {'、'.join(SCENARIO_KEYS)}。",
                      "情境內容", unknown[0])
    try:
        size = len(json.dumps(payload, ensure_ascii=False, default=str).encode())
    except (TypeError, ValueError, RecursionError):
        raise _refuse("情境內容無法儲存（格式不正確）。", "情境內容", type(payload).__name__) from None
    if size > SCENARIO_PAYLOAD_MAX:
        raise _refuse(f"情境內容有 {size:,} 位元組，超過上限 {SCENARIO_PAYLOAD_MAX:,} 位元組。", "情境內容", f"{size:,} 位元組")
    if "version" in payload and (isinstance(payload["version"], bool) or payload["version"] != SCENARIO_VERSION):
        raise _refuse(f"格式版本「{_shown(payload['version'])}」不是本程式的 {SCENARIO_VERSION}。", "情境格式版本",
                      payload["version"])
    for key, label in (("targets", "目標"), ("weights", "權重")):
        values = payload.get(key) or {}
        if not isinstance(values, Mapping):
            raise _refuse(f"{label}應為「指標 → 數字」的表格。", f"情境{label}", type(values).__name__)
        for indicator_id, value in values.items():
            check_indicator(facts, indicator_id)
            _number(value, f"指標 {indicator_id} 的{label}", at_least=Decimal(0) if key == "weights" else None)
    additions = payload.get("additions") or []
    if not isinstance(additions, list):
        raise _refuse("假設增加的數字應為清單。", "假設增加", type(additions).__name__)
    for position, item in enumerate(additions, start=1):
        where = f"假設增加第 {position} 筆"
        if not isinstance(item, Mapping) or sorted(item) != sorted(ADDITION_KEYS):
            raise _refuse(f"應含且只含 {'、'.join(ADDITION_KEYS)}。", where, item)
        if item["field"] not in facts.fields:
            raise _refuse(f"填報項目「{_shown(item['field'])}」不在{facts.label}中。", where, item["field"])
        try:
            check_month(item["month"])
        except InputError:
            raise _refuse(f"月份「{_shown(item['month'])}」應為 1 至 12 的整數。", where, item["month"]) from None
        _number(item["amount"], where)


def check_mapping(source: object, signature: object, mapping: object) -> None:
    """A column mapping as metrics.intake.sources.remember_mapping saves it: a known kind of export, a header row's
    fingerprint, and that kind's columns → headers of a sane length (or None)."""
    from metrics.intake.exports import SOURCES

    if not isinstance(source, str) or source not in SOURCES:
        known = "、".join(f"{kind.label}（{name}）" for name, kind in SOURCES.items())
        raise _refuse(f"未知的資料種類「{_shown(source)}」；可用：{known}。", "資料種類", source)
    if not isinstance(signature, str) or not _SIGNATURE.match(signature):
        raise _refuse(f"標題列識別碼「{_shown(signature)}」應為 16 位十六進位字元。", "標題列識別碼", signature)
    if not isinstance(mapping, Mapping):
        raise _refuse("欄位對應應為「欄位 → 標題」的表格。", "欄位對應", type(mapping).__name__)
    columns = {column.name: column.label for column in SOURCES[source].columns}
    for name, header in mapping.items():
        if name not in columns:
            known = "、".join(f"{label}（{code}）" for code, label in columns.items())
            raise _refuse(f"「{_shown(name)}」不是{SOURCES[source].label}的欄位；可用：{known}。", "欄位對應", name)
        if header is not None and (not isinstance(header, str) or len(header) > MAPPING_HEADER_MAX):
            raise _refuse(f"「{columns[name]}」對應的標題應為至多 {MAPPING_HEADER_MAX} 字的文字。", "欄位對應", header)
