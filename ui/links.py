"""The period (year, unit, month) and the indicator in the URL, so a view can be bookmarked and sent on.

A value in the URL that differs from what this session last wrote there came from a link or a bookmark:
it becomes the session's choice (if a plan exists for it; otherwise the page says why it shows something
else). After the page has chosen, the URL is written back, so it always names what is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from metrics.plans.catalogue import Catalogue

PERIOD = ("year", "unit", "month")
WRITTEN = "url_written"  # what this session last put in the URL


def _url() -> dict[str, str | None]:
    return {key: st.query_params.get(key) for key in (*PERIOD, "indicator")}


def _new_in_url(key: str) -> str | None:
    value = _url().get(key)
    if value is None or value == st.session_state.get(WRITTEN, {}).get(key):
        return None
    return value


def apply_period(catalogue: Catalogue) -> list[str]:
    """Take the year, unit and month a link or bookmark asks for; problems say what could not be shown."""
    problems = []
    year_text, unit_text, month_text = (_new_in_url(key) for key in PERIOD)
    if unit_text is not None:
        # A link to another unit names its whole period: the month it carries is meant even when this session
        # wrote the same month (the other unit's default month may differ).
        url = _url()
        year_text, month_text = url["year"], url["month"]
    year = None
    if year_text is not None:
        year = int(year_text) if year_text.strip().isdigit() else None
        if year is None or year not in catalogue.years():
            problems.append(f"網址中的年度「{year_text}」沒有任何計畫。{catalogue.available_text()}")
            year = None
        else:
            st.session_state["period_year_chosen"] = year
    if unit_text is not None:
        unit = catalogue.units.resolve(unit_text)
        chosen_year = year or st.session_state.get("period_year_chosen")
        if unit is None:
            nearest = catalogue.units.nearest(unit_text)
            problems.append(f"網址中的單位「{unit_text}」不是本府的單位"
                            + (f"（相近的單位：{'、'.join(nearest)}）" if nearest else "") + "。")
        elif chosen_year is not None and catalogue.find(chosen_year, unit.name) is None:
            problems.append(f"網址中的單位「{unit_text}」沒有 {chosen_year} 年度的計畫。{catalogue.available_text()}")
        else:
            st.session_state["period_unit_chosen"] = unit.name
    if month_text is not None:
        month = int(month_text) if month_text.strip().isdigit() else 0
        if not 1 <= month <= 12:
            problems.append(f"網址中的月份「{month_text}」須為 1 至 12。")
        else:
            st.session_state["period_month_chosen"] = month
    return problems


def choice_from_url(key: str, options: Sequence[str], own_key: str, label: str) -> str | None:
    """Another value (such as the indicator) a link may name; a problem sentence when it is not an option."""
    value = _new_in_url(key)
    if value is None:
        return None
    if value not in options:
        return f"網址中的{label}「{value}」不在本計畫中（可用：{'、'.join(options)}）。"
    st.session_state[own_key] = value
    return None


def write(values: Mapping[str, object]) -> None:
    """Put what the page shows into the URL (only what changed, so nothing reruns for it)."""
    text = {key: str(value) for key, value in values.items()}
    if any(st.query_params.get(key) != value for key, value in text.items()):
        st.query_params.update(text)
    st.session_state[WRITTEN] = {**st.session_state.get(WRITTEN, {}), **text}


def period_params(year: int, unit: str, month: int, **extra: object) -> dict[str, str]:
    """The query parameters of a link to a period (and, say, an indicator)."""
    return {"year": str(year), "unit": unit, "month": str(month), **{key: str(value) for key, value in extra.items()}}
