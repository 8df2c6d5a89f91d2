"""計畫管理 →「由計畫書匯入」: a unit's 施政計畫 (.docx, .odt, .pdf, .txt) read into a plan draft, shown beside the
document's rows, its decisions answered (a formula, weight or target the document did not let be read typed here),
and saved as a new version with the new fields it brings, in one write through the services, once none is left."""

from __future__ import annotations

import hashlib
from fractions import Fraction

import pandas as pd
import streamlit as st

from metrics.errors import InputError, KpiError
from metrics.plans.documents import draft_plan, parse_document, plan_toml, read_document
from metrics.plans.documents.decide import (ACCEPT, AGGREGATION_LABELS, FieldEdit, FormulaAnswer, choosable, decide,
                                            edit_fields, settable_kinds)
from metrics.plans.documents.draft import (GOAL_KINDS, Decision, DecisionKind, DraftIndicator, PlanDraft,
                                           ProposedField)
from metrics.plans.documents.readers import READERS
from metrics.plans.formulas import format_number
from metrics.plans.planning import new_field_changes, plan_changes
from ui.layout import Context, flash
from ui.plans import TOML, _year
from ui.widgets import escape_markdown

UNDECIDED = "（請選擇）"


def _terms(terms) -> str:
    def one(term) -> str:
        coefficient = Fraction(term.coefficient)
        suffix = "" if coefficient == 1 else (f"÷{coefficient.denominator}" if coefficient.numerator == 1
                                              else f"×{format_number(coefficient)}")
        return f"{term.field}{suffix}" + ("（新）" if term.new else "")

    return "＋".join(one(term) for term in terms)


def _read(indicator: DraftIndicator) -> str:
    formula = indicator.formula or "公式待決定"
    shown = f"{formula}：{_terms(indicator.numerator)}"
    return shown + (f" ÷ {_terms(indicator.denominator)}" if indicator.denominator else "")


def side_by_side(draft: PlanDraft) -> pd.DataFrame:
    """Each indicator as read, beside the document's rows it was read from."""
    rows = []
    for indicator in draft.indicators:
        target = "" if indicator.target is None else format_number(Fraction(indicator.target))
        rows.append({
            "指標代號": indicator.id,
            "計畫書原文": "｜".join(text.replace("\t", "｜") for text in indicator.source),
            "讀出的名稱": indicator.name,
            "權重": "" if indicator.weight is None else f"{format_number(Fraction(indicator.weight))}%",
            "目標值": f"{target}{indicator.unit}" if indicator.unit == "%" else f"{target} {indicator.unit}".strip(),
            "公式": _read(indicator),
            "共同性指標": "是" if indicator.common else "",
            "說明": "；".join(indicator.overrides + indicator.notes),
            "待決定": len(indicator.decisions),
        })
    return pd.DataFrame(rows)


def import_document(context: Context) -> None:
    catalogue = context.catalogue
    units = [unit.name for unit in catalogue.units.units]
    left, right = st.columns(2)
    unit = left.selectbox("單位", units, index=units.index(context.unit) if context.unit in units else 0,
                          key="document_unit")
    with right:
        year = _year(st.text_input("年度（民國）", value=str(context.year), key="document_year"))
    upload = st.file_uploader("計畫書（.docx、.odt、.pdf 或 .txt）", type=[suffix.lstrip(".") for suffix in READERS],
                              key="document_file")
    if year is None:
        return
    if upload is None:
        st.caption("讀取計畫書「參、年度績效指標」表格（跨頁的列會接回），依衡量標準建議公式與填報項目；"
                   "需要決定的事項全部決定後才能儲存為新版本。說明見 docs/計畫檔說明.md 第五節。")
        return
    data = upload.getvalue()
    try:
        draft = parse_document(read_document(data, upload.name), catalogue, year=year, unit=unit,
                               document=upload.name)
    except InputError as error:
        st.error(escape_markdown(error))
        return
    prefix = "document_" + hashlib.sha256(data + f"{year}{unit}".encode()).hexdigest()[:12]
    read = st.container()  # what was read, drawn above the decisions with what they settled
    answers, edits = _answers(draft, catalogue, prefix)
    try:
        decided, problem = edit_fields(decide(draft, catalogue, answers), catalogue, edits), None
    except InputError as error:
        decided, problem = None, error
    shown = decided or draft
    with read:
        st.markdown(f"**{escape_markdown(draft.title)}**：{len(draft.goals)} 項策略目標、{len(draft.indicators)} 項指標，"
                    f"權重合計 {format_number(Fraction(shown.weight_total))}%")
        for notice in shown.notices:
            st.info(escape_markdown(notice))
        st.dataframe(side_by_side(shown), hide_index=True, width="stretch", key=f"{prefix}_table")
    if decided is None:
        st.error(escape_markdown(problem))
        return
    st.download_button("下載計畫檔（.toml）", plan_toml(decided, catalogue).encode("utf-8"),
                       file_name=f"{draft.unit}_{draft.year}.toml", mime=TOML, key=f"{prefix}_plan_file")
    pending = decided.needs_decision
    if pending:
        st.warning(f"尚有 {len(pending)} 項待決定，全部決定後才能儲存。")
        return
    if decided.fields:
        st.markdown(f"**儲存時一併新增的填報項目（{len(decided.fields)} 個，屬於本計畫）：**")
        st.dataframe(pd.DataFrame([{"項目代碼": f.code, "名稱": f.name, "計量": f.unit,
                                    "累計方式": AGGREGATION_LABELS[f.aggregation],
                                    "說明": f.help} for f in decided.fields]),
                     hide_index=True, width="stretch", key=f"{prefix}_fields")
    _save(context, decided, upload.name, prefix)


def _answers(draft: PlanDraft, catalogue, prefix: str) -> tuple[dict[int, str | FormulaAnswer], dict[str, FieldEdit]]:
    """A widget for each decision the page settles (and, for a new field chosen, its code, name, unit and flow or
    stock as the planner edits them); the others say to fix the document."""
    pending = draft.needs_decision
    edits: dict[str, FieldEdit] = {}
    if not pending:
        st.success("沒有需要決定的事項。")
        return {}, edits
    st.markdown(f"###### 需要決定的事項（{len(pending)} 項）")
    names = {f.code: f.name for f in catalogue.fields_in_force} | {f.code: f"{f.name}（本次新增）" for f in draft.fields}
    answers: dict[int, str | FormulaAnswer] = {}
    for index, decision in enumerate(pending):
        key = f"{prefix}_decision_{index}"
        label = escape_markdown(decision.text)
        if not choosable(decision):
            st.error(f"{label}（請修正計畫書後重新上傳）")
        elif decision.kind is DecisionKind.FORMULA:
            answers[index] = _formula(decision, label, names, key)
        elif decision.kind in (DecisionKind.WEIGHT, DecisionKind.TARGET):
            example = "例如 12.5%" if decision.kind is DecisionKind.WEIGHT else "例如 12 場、40.7%、≤ 5 日"
            answers[index] = st.text_input(f"{label}——請輸入{decision.kind.value}", value="", key=key,
                                           placeholder=example)
        elif decision.kind is DecisionKind.OPERAND:
            candidates = [option.split("（")[0] for option in decision.options[1:]]
            codes = [UNDECIDED, decision.subject] + candidates + [code for code in names if code not in candidates
                                                                  and code != decision.subject]
            new = next((f for f in draft.fields if f.code == decision.subject), None)

            def shown(code: str, new=new) -> str:
                if code == UNDECIDED:
                    return code
                if new is not None and code == new.code:
                    return f"新增項目 {code}「{new.name}」（{new.unit}，{AGGREGATION_LABELS[new.aggregation]}）"
                return f"{code}（{names[code]}）"

            choice = st.selectbox(label, codes, key=key, format_func=shown)
            answers[index] = "" if choice == UNDECIDED else choice
            if new is not None and choice == new.code and new.code not in edits:
                edits[new.code] = _field_edit(new, f"{prefix}_field_{new.code}")
        elif decision.kind is DecisionKind.UNIT:
            answers[index] = st.text_input(label, value="", key=key, placeholder=decision.options[0] if decision.options
                                           else "例如 件、人、%")
        elif decision.kind is DecisionKind.GOAL:
            choice = st.selectbox(label, [UNDECIDED, *GOAL_KINDS], key=key)
            answers[index] = "" if choice == UNDECIDED else choice
        else:
            answers[index] = ACCEPT if st.checkbox(f"{label}——{ACCEPT}", key=key) else ""
    return answers, edits


def _field_edit(new: ProposedField, key: str) -> FieldEdit:
    """The proposed field's code, name, unit and flow or stock, as guessed from the document until edited."""
    st.caption(f"新增項目 {new.code} 的內容（依名稱推測，可修改；儲存時檢查方式與計畫檔的 [[field]] 相同）")
    code, name, unit, aggregation = st.columns([2, 3, 1, 2])
    return FieldEdit(code.text_input("項目代碼（英文小寫、數字、底線）", value=new.code, key=f"{key}_code"),
                     name.text_input("名稱", value=new.name, key=f"{key}_name"),
                     unit.text_input("計量單位", value=new.unit, key=f"{key}_unit"),
                     aggregation.radio("累計方式", list(AGGREGATION_LABELS), key=f"{key}_aggregation",
                                       index=list(AGGREGATION_LABELS).index(new.aggregation), horizontal=True,
                                       format_func=lambda choice: f"{AGGREGATION_LABELS[choice]}（{choice.value}）"))


def _formula(decision: Decision, label: str, names: dict[str, str], key: str) -> FormulaAnswer | str:
    """A kind of indicator and its operands, chosen among the fields; '' until a kind and a numerator are chosen."""
    kinds = {kind.key: kind for kind in settable_kinds()}
    st.markdown(f"{label}——請選擇指標種類與項目")
    left, middle, right = st.columns(3)
    chosen = left.selectbox("指標種類", [UNDECIDED, *kinds], key=f"{key}_kind",
                            format_func=lambda code: code if code == UNDECIDED else kinds[code].label)
    numerator = middle.multiselect("分子項目", list(names), key=f"{key}_numerator",
                                   format_func=lambda code: f"{code}（{names[code]}）")
    denominator = []
    if chosen != UNDECIDED and kinds[chosen].has_denominator:
        denominator = right.multiselect("分母項目", list(names), key=f"{key}_denominator",
                                        format_func=lambda code: f"{code}（{names[code]}）")
    if chosen == UNDECIDED or not numerator:
        return ""
    return FormulaAnswer(chosen, tuple(numerator), tuple(denominator))


def _save(context: Context, draft: PlanDraft, document: str, prefix: str) -> None:
    try:
        plan = draft_plan(draft, context.catalogue)
    except KpiError as error:
        st.error(escape_markdown(error))
        return
    current = context.catalogue.find(plan.year, plan.unit)
    changes = plan_changes(current, plan) + new_field_changes(plan, context.catalogue)
    if current is not None and not changes:
        st.info("與目前的版本相同，不需要儲存。")
        return
    st.markdown("**將記錄的修改：**\n\n" + "\n".join(f"- {escape_markdown(change)}" for change in changes))
    with st.form(key=f"{prefix}_save"):
        st.caption(f"修改人：{escape_markdown(context.actor.label)}")
        note = st.text_input("修改說明", value=f"依計畫書「{document}」匯入", key=f"{prefix}_note")
        submitted = st.form_submit_button("儲存為新版本", type="primary")
    if submitted:
        try:
            stored = context.services.save_plan(context.actor, context.catalogue, plan, note=note,
                                                origin=f"計畫書 {document}")
        except KpiError as error:
            st.error(escape_markdown(error))
            return
        flash("success", f"已儲存 {stored.unit} {stored.year} 年度計畫第 {stored.number} 版（{len(stored.changes)} 項修改）。")
        st.rerun()
