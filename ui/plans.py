"""The 計畫管理 page's parts: the plans in force, a plan's versions and what each changed, and the plan
editor (goals and indicators in tables, checked on every edit, saved as a new version)."""

from __future__ import annotations

import hashlib
import unicodedata

import pandas as pd
import streamlit as st

from metrics.plans.catalogue import parse_plan
from metrics.plans.toml_writing import plan_document
from metrics.errors import KpiError, PlanError
from metrics.evaluation.figures import Figures, empty_tidy_frame, missing_bases_of
from metrics.plans.formulas import GAP_RULES
from metrics.plans.kinds import KINDS
from metrics.plans.plan import Plan
from metrics.plans.planning import (COMMON_LOCKED, DIRECTION_CHOICES, STAGE_FORMAT, draft_plan, file_differences, goals_table,
                              indicators_table, plan_changes, plan_from_tables, plan_version)
from metrics.outputs.presentation import taiwan_time, weight_text
from ui.data import plan_files
from ui.layout import Context, flash
from ui.widgets import escape_markdown

TOML = "application/toml"
YEARS = range(100, 201)  # the ROC years a plan can be made for
PERMISSION_NOTE = "計畫由計畫管理者編修；每個版本都記錄修改人、時間與修改內容，舊版本不會被覆蓋。"


def overview(context: Context) -> None:
    """Every plan in force, with its version, and where plans/ and the store disagree."""
    catalogue = context.catalogue
    records = []
    for year, unit in catalogue.keys():
        plan = catalogue.plan(year, unit)
        version = plan.version
        records.append({
            "年度": f"{year}年", "單位": plan.unit_name, "類型": "範例" if plan.sample else "正式",
            "版本": f"第 {version.number} 版" if version else "計畫檔（尚未存入資料庫）",
            "指標數": len(plan.indicators), "權重合計": weight_text(plan.weight_total),
            "最後修改": f"{taiwan_time(version.created_at)} {version.author}" if version else plan.origin,
        })
    st.dataframe(pd.DataFrame(records), hide_index=True, width="stretch", key="plans_overview")
    base_year_warnings(context)
    if not context.source.is_sample:
        for note in file_differences(catalogue, plan_files()):
            st.caption(f"⚠ {escape_markdown(note)}")


def base_year_warnings(context: Context) -> None:
    """The official plans' growth indicators whose base year the store has no figure of (and no base_value), as
    `plans check --db` warns: the value will read 無資料 until that year is uploaded. In sample mode the store holds
    no figure at all, so every such indicator is named."""
    official = [plan for plan in (context.catalogue.plan(*key) for key in context.catalogue.keys()) if not plan.sample]
    frame = empty_tidy_frame() if context.source.is_sample else context.source.frame
    messages = missing_bases_of(official, frame)
    if messages:
        st.warning("**成長率指標的基準年度尚無數字**（可以之後再上傳，計畫仍可使用）：\n\n"
                   + "\n".join(f"- {escape_markdown(message)}" for message in messages), icon=":material/warning:")


def versions(context: Context) -> None:
    """The versions of the chosen plan, newest first, each with who, when, why and what changed."""
    store = context.source.store
    plan = context.plan
    try:
        stored = store.plan_versions(plan.year, plan.unit)
    except KpiError as error:
        st.error(escape_markdown(error))
        return
    if not stored:
        st.info(f"{plan.label}的計畫目前取自計畫檔 {escape_markdown(plan.origin)}，資料庫中尚無版本。")
        return
    for version in reversed(stored):
        with st.container(border=True):
            current = "（現行）" if version.number == stored[-1].number else ""
            st.markdown(f"**第 {version.number} 版{current}**｜{taiwan_time(version.created_at)}｜"
                        f"修改人：{escape_markdown(version.author) or '—'}｜來源：{escape_markdown(version.origin) or '—'}")
            if version.note:
                st.caption(f"說明：{escape_markdown(version.note)}")
            if version.changes:
                st.markdown("\n".join(f"- {escape_markdown(change)}" for change in version.changes))
    numbers = [version.number for version in stored]
    chosen = st.selectbox("檢視版本", list(reversed(numbers)), key=f"plan_version_{plan.year}_{plan.unit}",
                          format_func=lambda number: f"第 {number} 版")
    try:
        shown = plan_version(store, plan_files(), plan.year, plan.unit, chosen)
    except KpiError as error:
        st.error(escape_markdown(error))
        return
    st.dataframe(indicators_table(shown), hide_index=True, width="stretch", key="plan_version_table")
    st.download_button(f"下載第 {chosen} 版計畫檔（.toml）", data=plan_document(shown).encode("utf-8"),
                       file_name=f"{shown.unit_name}_{shown.year}_第{chosen}版.toml", mime=TOML,
                       key="plan_version_download")


def editor_key(prefix: str, plan: Plan, part: str) -> str:
    """The key of one widget of the editor of `plan`: another plan (or draft) starts with fresh widgets."""
    identity = hashlib.sha256(f"{prefix}|{plan_document(plan)}".encode()).hexdigest()[:16]
    return f"{prefix}_{part}_{identity}"


def _column_config(context: Context) -> dict:
    codes = [monthly_field.code for monthly_field in context.catalogue.fields_in_force]
    return {
        "指標代號": st.column_config.TextColumn(required=True, width="small"),
        # No min_value, max_value or step on any number: the grid would clamp or round what is typed (−5 became 5)
        # without a word; plan_from_tables refuses a wrong number naming the indicator and the value instead.
        "策略目標": st.column_config.NumberColumn(required=True, width="small"),
        "權重": st.column_config.NumberColumn("權重（%）", format="localized", width="small"),
        "目標值": st.column_config.NumberColumn(format="localized", width="small"),
        "公式": st.column_config.SelectboxColumn(options=sorted(KINDS), required=True, width="small"),
        "差距規則": st.column_config.SelectboxColumn(options=sorted(GAP_RULES), width="small"),
        "分子": st.column_config.TextColumn(help="項目代碼，多項以 + 相加，例如 " + " + ".join(codes[:2])),
        "方向": st.column_config.SelectboxColumn(options=list(DIRECTION_CHOICES.values()), width="small",
                                               help="反向指標（如平均處理天數 ≤ 5 日）選「≤」；空白為「≥ 越高越好」"),
        "倍數": st.column_config.NumberColumn(format="plain", width="small",
                                            help="只用於 quotient：1、1000（每千人）、10000（每萬人口）、100000"),
        "小數位數": st.column_config.NumberColumn(format="plain", width="small",
                                              help="只用於 percent 與 quotient；空白為預設（% 取 2 位）"),
        "基準年度": st.column_config.NumberColumn(format="plain", width="small",
                                              help="只用於 growth：比較的基準年度（民國年，例如 111）"),
        "基準值": st.column_config.NumberColumn(format="localized", width="small",
                                             help="只用於 growth：基準年度未上傳資料時，該年全年的數值"),
        "階段": st.column_config.TextColumn(help=f"只用於 milestone：{STAGE_FORMAT}，例如「完成規劃：25%：3月；完成招標：50%：6月」"),
        "共同性指標": st.column_config.CheckboxColumn(disabled=True),
    }


def editor(context: Context, base: Plan, *, prefix: str, current: Plan | None, notes: list[str] = ()) -> None:
    """Goals and indicators of `base` in tables; every edit is checked at once; saved as the next version."""
    for note in notes:
        st.caption(escape_markdown(note))
    title = st.text_input("計畫名稱", value=base.title, key=editor_key(prefix, base, "title"))
    source = st.text_input("依據（例如：某某處 114 年度施政計畫「參、年度績效指標」）", value=base.source,
                           key=editor_key(prefix, base, "source"))
    st.markdown("###### 策略目標")
    goals = st.data_editor(goals_table(base), key=editor_key(prefix, base, "goals"), num_rows="dynamic", hide_index=True,
                           width="stretch", column_config={
                               "目標編號": st.column_config.NumberColumn(required=True),
                               "共同性指標": st.column_config.CheckboxColumn(disabled=True)})
    st.markdown("###### 績效指標")
    indicators = st.data_editor(indicators_table(base), key=editor_key(prefix, base, "indicators"), num_rows="dynamic",
                                hide_index=True, width="stretch", column_config=_column_config(context))
    with st.expander("填寫說明：公式、分子分母與可用的填報項目"):
        st.markdown("\n".join(f"- {kind.label}" for kind in KINDS.values()))
        st.caption("方向：反向指標（目標為上限，如平均處理天數 ≤ 5 日、死亡人數 ≤ 24 人）選「≤」。"
                   "倍數（quotient）：每萬人口填 10000；小數位數：顯示值取幾位小數（空白為預設）。"
                   "基準年度、基準值（growth）：較基準年度成長的百分比；基準年度的數字取自資料庫，未上傳時填基準值（全年）。"
                   f"階段（milestone，完成工作項目）：{STAGE_FORMAT}；百分比須逐階增加且不超過 100。")
        st.caption("分子、分母寫項目代碼，多項以「+」相加；「÷2」表示該項除以 2（例如臨時人員 2 人計 1 人），"
                   "「(必填)」表示該項未填報時本指標為無資料。共同性指標（目標 6～10）只能調整目標值與權重，"
                   f"其他欄位（{'、'.join(COMMON_LOCKED)}）由全府共同性指標統一訂定。")
        st.dataframe(pd.DataFrame([{"項目代碼": field.code, "名稱": field.name, "計量": field.unit,
                                    "累計方式": "當月數" if field.aggregation.value == "flow" else "月底數"}
                                   for field in context.catalogue.fields_in_force]), hide_index=True, width="stretch")
    draft, problems = plan_from_tables(base, goals, indicators, context.catalogue, title=title, source=source)
    if problems:
        st.error("**尚不能儲存，請修正：**\n\n" + "\n".join(f"- {escape_markdown(problem)}" for problem in problems))
        return
    changes = plan_changes(current, draft)
    for message in Figures.from_frame(draft, context.source.frame).missing_bases():
        st.warning(f"⚠ {escape_markdown(message)}")
    st.success(f"檢查通過：{len(draft.goals)} 項策略目標、{len(draft.indicators)} 項指標，權重合計 "
               f"{weight_text(draft.weight_total)}" + ("（不是 100%，將照實呈現）" if draft.weight_total != 100 else "") + "。")
    if current is not None and not changes:
        st.info("與目前的版本相同，尚未修改。")
        return
    st.markdown("**將記錄的修改：**\n\n" + "\n".join(f"- {escape_markdown(change)}" for change in changes))
    with st.form(key=editor_key(prefix, base, "save")):
        st.caption(f"修改人：{escape_markdown(context.actor.label)}")
        note = st.text_input("修改說明（例如：依 114 年度施政計畫核定本）", key=f"{prefix}_note")
        submitted = st.form_submit_button("儲存為新版本", type="primary")
    if submitted:
        try:
            stored = context.services.save_plan(context.actor, context.catalogue, draft, note=note)
        except KpiError as error:
            st.error(escape_markdown(error))
            return
        flash("success", f"已儲存 {stored.unit} {stored.year} 年度計畫第 {stored.number} 版（{len(stored.changes)} 項修改）。")
        st.rerun()


def upload_plan(context: Context, *, key: str = "plan_file") -> Plan | None:
    """A plan file (.toml: one of plans/, or a downloaded version) to edit and save as a version."""
    upload = st.file_uploader("或上傳計畫檔（.toml）", type=["toml"], key=key)
    if upload is None:
        return None
    try:
        text = upload.getvalue().decode("utf-8")
        return parse_plan(text, context.catalogue, origin=upload.name)
    except UnicodeDecodeError:
        st.error(f"「{escape_markdown(upload.name)}」不是 UTF-8 文字檔，請以 UTF-8 編碼存檔後再上傳。")
    except PlanError as error:
        st.error(escape_markdown(error))
    return None


def _year(text: str) -> int | None:
    """The typed ROC year, or None with the reason shown: a wrong year is refused, never moved into range."""
    cleaned = unicodedata.normalize("NFKC", text).strip().removeprefix("民國").removesuffix("年度").removesuffix("年").strip()
    if not cleaned.isascii() or not cleaned.isdigit():
        st.error(f"年度「{escape_markdown(text.strip()) or '空白'}」不是整數；請填民國年，例如 {YEARS.start + 14}。")
        return None
    if int(cleaned) not in YEARS:
        st.error(f"年度 {int(cleaned)} 不在民國 {YEARS.start}～{YEARS.stop - 1} 年之間；請填民國年（例如 2025 年是 114 年）。")
        return None
    return int(cleaned)


def new_plan(context: Context) -> None:
    """A plan for a (year, unit) that has none: drafted from an earlier official plan, or read from a plan file."""
    catalogue = context.catalogue.official()  # a 範例 plan never becomes the draft of an official one
    units = [unit.name for unit in catalogue.units.units]
    unit = st.selectbox("單位", units, index=units.index(context.unit) if context.unit in units else 0,
                        key="new_plan_unit")
    earlier = [year for year, name in catalogue.keys() if name == unit]
    year = _year(st.text_input("年度（民國）", value=str((max(earlier) + 1) if earlier else context.year),
                               key="new_plan_year"))
    if year is None:
        return
    if catalogue.find(year, unit) is not None:
        st.info(f"{unit} {year} 年度已有計畫，請在左側選擇該年度與單位後，於「編修計畫」修改。")
        return
    uploaded = upload_plan(context, key="new_plan_file")
    if uploaded is not None:
        if uploaded.key != (year, unit):
            st.error(f"上傳的計畫是 {uploaded.label}，與上面選擇的 {unit} {year} 年度不同；請改選年度與單位，或上傳正確的計畫檔。")
            return
        editor(context, uploaded, prefix="new_plan", current=context.catalogue.find(year, unit),
               notes=["以上傳的計畫檔為底稿。"])
        return
    bases = [key for key in catalogue.keys() if key[1] == unit and key[0] < year] or \
        [key for key in catalogue.keys() if key[0] <= year]
    if not bases:
        st.info("目前沒有可作為底稿的正式計畫；請上傳計畫檔（.toml）。")
        return
    base_key = st.selectbox("底稿", list(reversed(bases)), key="new_plan_base",
                            format_func=lambda key: catalogue.plan(*key).label + "計畫")
    draft, notes = draft_plan(catalogue.plan(*base_key), unit, year, catalogue)
    sample = context.catalogue.find(year, unit)  # a 範例 plan of that (year, unit), shown in sample mode
    if sample is not None:
        notes.append(f"{sample.label}目前是範例計畫；儲存後以這份正式計畫取代。")
    editor(context, draft, prefix="new_plan", current=sample, notes=notes)
