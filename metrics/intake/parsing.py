"""Parsing the values civil servants actually type: ROC years and dates, month headers,
numbers with thousands separators or full-width digits, and text in Big5/CP950.

Every parser returns a value or raises ValueError with a Traditional Chinese sentence that says
what was expected; the readers wrap it with the file, sheet and cell.
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

ROC_OFFSET = 1911


def normalize_text(raw: object) -> str:
    """Full-width digits and punctuation to half-width, surrounding spaces removed."""
    if raw is None:
        return ""
    if isinstance(raw, float) and math.isnan(raw):
        return ""
    return unicodedata.normalize("NFKC", str(raw)).replace("\u3000", " ").strip()


def is_blank(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    try:
        import pandas as pd

        if raw is pd.NA or raw is pd.NaT:
            return True
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return isinstance(raw, str) and normalize_text(raw) == ""


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def parse_number(raw: object, *, dash_is_zero: bool = False, allow_parentheses: bool = False) -> Decimal | None:
    """A number exactly as written; None for a blank cell.

    Accepts 1,234 / １２３４ / 1234.5 / Excel numbers; with `dash_is_zero`, a lone "-" is 0; with
    `allow_parentheses`, (1,234) is -1234 as accountants write it.
    """
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        raise ValueError(f"「{raw}」不是數字")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if math.isinf(raw):
            raise ValueError("不是有限的數字")
        return _tidy(Decimal(repr(raw)))
    if isinstance(raw, Decimal):
        return _tidy(raw)
    text = normalize_text(raw).replace(" ", "")
    if dash_is_zero and text in {"-", "--", "—", "－"}:
        return Decimal(0)
    negative = False
    if allow_parentheses and text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if _GROUPED.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        raise ValueError(f"「{normalize_text(raw)}」不是數字")
    try:
        value = Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the pattern already guards this
        raise ValueError(f"「{normalize_text(raw)}」不是數字") from error
    return _tidy(-value if negative else value)


def _tidy(value: Decimal) -> Decimal:
    """21288.0 → 21288, 1.50 → 1.5, so stored and shown values read as the user typed them."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return Decimal(format(value, "f").rstrip("0"))  # normalize() would round to 28 significant digits


def roc_year(year: int) -> int:
    """An AD (2023) or ROC (112) year as ROC."""
    if year > ROC_OFFSET:
        return year - ROC_OFFSET
    return year


def parse_year(raw: object) -> int:
    """112 / 112年 / 112年度 / 民國112年 / 2023 → 112 (ROC)."""
    if isinstance(raw, float) and math.isinf(raw):
        raise ValueError("年度不是有限的數字")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and not is_blank(raw):
        if float(raw) != int(raw):
            raise ValueError(f"年度「{raw}」不是整數")
        return _checked_year(int(raw), raw)
    text = normalize_text(raw)
    match = re.fullmatch(r"(?:中華)?(?:民國)?\s*(\d{2,4})\s*(?:年度?)?", text)
    if not match:
        raise ValueError(f"年度「{text}」無法辨識，請填民國年（如 112）或西元年（如 2023）")
    return _checked_year(int(match.group(1)), raw)


def _checked_year(year: int, raw: object) -> int:
    roc = roc_year(year)
    if not 1 <= roc <= 300:
        raise ValueError(f"年度「{normalize_text(raw)}」不合理，請填民國年（如 112）或西元年（如 2023）")
    return roc


def parse_month(raw: object) -> int:
    """1 / 01 / 1月 / 一月 → 1."""
    if isinstance(raw, float) and math.isinf(raw):
        raise ValueError("月份須為 1 至 12 的整數")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and not is_blank(raw):
        if float(raw) == int(raw) and 1 <= int(raw) <= 12:
            return int(raw)
        raise ValueError(f"月份「{normalize_text(raw)}」須為 1 至 12 的整數")
    text = normalize_text(raw)
    if text in _CHINESE_MONTHS:
        return _CHINESE_MONTHS[text]
    match = re.fullmatch(r"(\d{1,2})\s*月?(?:份)?", text)
    if match and 1 <= int(match.group(1)) <= 12:
        return int(match.group(1))
    raise ValueError(f"月份「{text}」須為 1 至 12 的整數（如 3 或 3月）")


_CHINESE_MONTH_NAMES = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")
_CHINESE_MONTHS = {f"{name}月": number for number, name in enumerate(_CHINESE_MONTH_NAMES, start=1)}

_MONTH_HEADER_PATTERNS = (
    # 112年1月, 民國112年1月, 2023年1月
    re.compile(r"^(?:中華)?(?:民國)?(?P<year>\d{2,4})\s*年\s*(?P<month>\d{1,2})\s*月份?$"),
    # 112/01, 112-01, 112.01, 2023-01, 2023/1
    re.compile(r"^(?P<year>\d{2,4})\s*[/\-.]\s*(?P<month>\d{1,2})$"),
    # 202301 or 11201 written together
    re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})$"),
    # 1月, 01, 1
    re.compile(r"^(?P<month>\d{1,2})\s*月?份?$"),
)


def parse_month_header(raw: object) -> tuple[int | None, int] | None:
    """A column header naming a month → (ROC year or None, month); None if it names no month."""
    if isinstance(raw, (dt.date, dt.datetime)):
        return roc_year(raw.year), raw.month
    if isinstance(raw, float) and math.isinf(raw):
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and not is_blank(raw):
        if float(raw) == int(raw) and 1 <= int(raw) <= 12:
            return None, int(raw)
        return None
    text = normalize_text(raw)
    if text in _CHINESE_MONTHS:
        return None, _CHINESE_MONTHS[text]
    for pattern in _MONTH_HEADER_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        month = int(match.group("month"))
        if not 1 <= month <= 12:
            return None
        year = match.groupdict().get("year")
        if year is None:
            return None, month
        year_number = int(year)
        if len(year) == 4 and year_number <= ROC_OFFSET:
            return None
        return roc_year(year_number), month
    return None


_DATE_PATTERNS = (
    re.compile(r"^(?:中華)?(?:民國)?\s*(?P<year>\d{2,4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日?$"),
    re.compile(r"^(?P<year>\d{2,4})\s*[/\-.]\s*(?P<month>\d{1,2})\s*[/\-.]\s*(?P<day>\d{1,2})"
               r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    # 1120331 (ROC, 7 digits), 0990101 (ROC with a leading zero), 20230331 (AD, 8 digits)
    re.compile(r"^(?P<year>\d{3}|\d{4})(?P<month>\d{2})(?P<day>\d{2})$"),
)


def parse_date(raw: object) -> dt.date:
    """A date as offices write it, ROC or AD: 1120331, 112/03/31, 112.03.31, 中華民國112年3月31日,
    2023-03-31, 2023/3/31 08:15, or a real date/datetime cell."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if hasattr(raw, "to_pydatetime"):
        return raw.to_pydatetime().date()
    if isinstance(raw, float) and not math.isnan(raw) and raw == int(raw):
        raw = int(raw)
    text = normalize_text(raw)
    if isinstance(raw, int):
        text = str(raw)
        if len(text) == 6:  # 990101 is ROC 99, written without its leading zero
            text = "0" + text
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group("year"))
        if len(match.group("year")) == 4 and year <= ROC_OFFSET:
            break
        year = year + ROC_OFFSET if year <= ROC_OFFSET else year
        try:
            return dt.date(year, int(match.group("month")), int(match.group("day")))
        except ValueError as error:
            raise ValueError(f"日期「{text}」不存在（月或日超出範圍）") from error
    raise ValueError(f"日期「{text}」無法辨識，請用 112/03/31、1120331 或 2023-03-31 等格式")


def format_roc_date(value: dt.date) -> str:
    return f"{value.year - ROC_OFFSET}/{value.month:02d}/{value.day:02d}"


TAIWAN = dt.timezone(dt.timedelta(hours=8), "Asia/Taipei")  # no daylight saving since 1979


def month_label(year: int, month: int) -> str:
    """A month as users read it: 112年1月 (the year as given, ROC in this project)."""
    return f"{year}年{month}月"


def format_taiwan_time(moment: dt.datetime) -> str:
    """An aware UTC time as users read it: 112/03/05 14:20 (Taiwan time)."""
    local = moment.astimezone(TAIWAN)
    return f"{format_roc_date(local.date())} {local:%H:%M}"


def decode_text(data: bytes) -> tuple[str, str]:
    """Bytes of a CSV → (text, encoding name): BOM first, then strict UTF-8, then strict CP950.

    Encoding detectors mislabel CP950, so none is used.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as error:
            raise ValueError("檔案編碼無法辨識（開頭像 UTF-16 但內容無法解讀）；"
                             "請在 Excel 以「CSV UTF-8（逗號分隔）」另存後再上傳") from error
    try:
        return data.decode("utf-8", errors="strict"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp950", errors="strict"), "CP950 (Big5)"
    except UnicodeDecodeError as error:
        raise ValueError(
            f"檔案編碼無法辨識（第 {error.start + 1} 個位元組起無法以 UTF-8 或 Big5/CP950 解讀），"
            "請在 Excel 以「CSV UTF-8（逗號分隔）」另存後再上傳"
        ) from error
