"""The upload flow: read every selected file — the monthly template, a long table or a raw system
export — refuse them all if any has a problem or still needs a column mapping, preview what would
change, then store each file as one batch.

Reads are cached on content (the bytes' digest, the name, the export options and the mapping) in a
cache of our own (metrics.intake.sources.ReadCache) rather than st.cache_data: a read reports progress to a bar
drawn outside it, which st.cache_data would try to replay on a cache hit. A remembered mapping is looked
up in the store on every run, outside the cache, so a mapping saved a moment ago applies at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from metrics.plans.roles import Action
from metrics.outputs.batches import counts_text, periods_text, undo_effects
from metrics.evaluation.completeness import checklist_details, checklist_frame
from metrics.intake.conflicts import (Conflict, Key, choose_file, conflict_table, file_headers, find_conflicts, resolve,
                               unresolved)
from metrics.errors import InputError, KpiError, Problem, StoreBusy
from metrics.intake.exports import SOURCES, ExportOptions, MappingNeeded
from metrics.intake.exports.common import LeftOut
from metrics.outputs.presentation import history_rows, taiwan_time
from metrics.intake.parsing import month_label
from metrics.intake.readers import needed_candidates, offered, offered_text
from metrics.intake import Upload
from metrics.services.selection import incomplete_lines, unpermitted
from metrics.intake.sources import (AMOUNT_UNITS, KIND_NAMES, OPTION_LABELS, UNRECOGNIZED, FileRead, KindNeeded,
                                    ReadCache, kind_problems, mapping_choices, mapping_reason, read_file,
                                    remember_mapping)
from metrics.services import Actor, Services
from metrics.store import BatchInfo
from metrics.outputs.template import build_template
from ui.data import Source, cached_on_source
from ui.layout import Context, flash
from ui.widgets import (ask_confirmation, confirmation_buttons, escape_markdown, pending_confirmation,
                        settle_confirmation, show_problems)

UPLOADER_GENERATION = "upload_generation"
NO_COLUMN = "（無此欄位）"
PRIVACY_NOTICE = (
    "**個人資料保護**：系統匯出檔（公文清單、人事名冊、歲出預算執行表、政風案件紀錄）只在讀取時使用，"
    "資料庫只儲存每月的合計數字。姓名、身分證字號、陳情人、案由與公文主旨等內容，以及原始檔案本身，"
    "都不會儲存，也不會寫入任何紀錄。下方的預覽只列出計算用到的欄位，可識別個人的欄位已遮蔽（例如 王○明、A12****789）。"
)


@st.cache_resource(show_spinner=False)
def read_cache() -> ReadCache:
    return ReadCache()


def read_files(files: Sequence[Upload], context: Context, options: ExportOptions,
               month: int | None) -> list[FileRead]:
    """Each file read for the page's (year, unit) against the plans in force (their data version is in the
    cache key), with a progress bar; the command line's path too (metrics.intake.sources.read_upload)."""
    bar = st.progress(0.0, text="讀取檔案中…")
    results = []
    for number, upload in enumerate(files, start=1):
        def report(fraction: float, message: str, number: int = number, name: str = upload.name) -> None:
            bar.progress(min((number - 1 + fraction) / len(files), 1.0),
                         text=f"讀取第 {number:,} / {len(files):,} 個檔案「{escape_markdown(name)}」：{escape_markdown(message)}")

        report(0.0, "開始")
        results.append(read_file(upload, context.source.official, year=context.year, unit=context.unit,
                                 mappings=context.source.store, options=options, month=month, progress=report,
                                 cache=read_cache(), cache_key=(context.source.data_version,)))
    bar.empty()
    return results


def export_settings(year: int) -> tuple[ExportOptions, int | None]:
    """The exclusions (all off by default) and the 資料截至月份 for an export whose title has no date."""
    with st.expander("系統匯出的計算設定（預設全部不排除）"):
        flags = {name: st.checkbox(label, key=f"export_option_{name}") for name, label in OPTION_LABELS.items()}
        unit = st.selectbox("預算執行表未標示金額單位時，金額的單位", [None, *AMOUNT_UNITS], key="export_amount_unit",
                            format_func=lambda value: "（依檔案標示）" if value is None else value)
        month = st.selectbox("資料截至月份（人事名冊或預算執行表的標題沒有資料日期時使用）", [None, *range(1, 13)],
                             key="export_month",
                             format_func=lambda value: "（依檔案標題）" if value is None else month_label(year, value))
    return ExportOptions(**flags, amount_unit=unit), month


def show_read(read_file: FileRead) -> None:
    """What a file was recognized as and, for an export, its rows, notes, exclusions and masked preview."""
    read = read_file.read
    if not read.is_export:
        st.caption(f"辨識為：{read.label}")
        return
    st.caption(f"辨識為：{read.label}｜讀取 {read.rows_read:,} 列，計入 {read.rows_used:,} 列")
    st.markdown("\n".join(f"- {escape_markdown(note)}" for note in read.notes))
    show_left_out(read.left_out)
    if read.applied:
        st.caption("已套用的排除設定：" + "；".join(read.applied))
    else:
        st.caption("未套用任何排除設定（可在上方「系統匯出的計算設定」調整）。")
    if read.preview is not None:
        with st.expander("原始資料預覽（前 20 列，只列出計算用到的欄位，個人資料已遮蔽）"):
            st.dataframe(read.preview, hide_index=True, width="stretch")


def show_left_out(left_out: LeftOut) -> None:
    """Which rows were read but not counted, by row number as in Excel, and why."""
    if not left_out.total:
        return
    with st.expander(f"未計入的 {left_out.total:,} 列及原因"):
        st.caption("；".join(f"{escape_markdown(reason)} {count:,} 列" for reason, count in left_out.by_reason))
        st.dataframe(pd.DataFrame(left_out.rows, columns=["列（同 Excel 列號）", "未計入原因"]), hide_index=True,
                     width="stretch")
        if left_out.more:
            st.caption(f"另有 {left_out.more:,} 列未列出（只列出前 {len(left_out.rows):,} 列）。")


def mapping_form(context: Context, index: int, name: str, needed: MappingNeeded,
                 current: tuple[str, dict] | None = None, upload: Upload | None = None) -> None:
    """Which header is which column: a selectbox of the file's headers (with example values) per column, saved in
    the store. For a file nothing recognized, the kind of file is chosen first, the template and the long table
    among them: for those, what the file lacks to be read as one."""
    choose_kind = isinstance(needed, KindNeeded)
    names = list(KIND_NAMES) if choose_kind else list(SOURCES)
    choices_offered = [] if choose_kind or current else offered(needed_candidates(needed))
    if choices_offered:  # a tie or a near-miss: the best is preselected, the others a choice away
        st.info(escape_markdown(offered_text(choices_offered)) + "。已先選擇最符合的種類，若不對請在下方改選。")
    default = current[0] if current else choices_offered[0].kind if choices_offered else needed.source or needed.source_guess
    source = st.selectbox("檔案種類" if choose_kind else "資料種類", names,
                          index=names.index(default) if default in names else None,
                          format_func=lambda value: KIND_NAMES[value] if choose_kind else SOURCES[value].label,
                          placeholder="請選擇檔案種類" if choose_kind else "請選擇資料種類",
                          key=f"mapping_source_{index}_{needed.signature}")
    if source is None:
        st.info("請先選擇這個檔案是哪一種檔案。" if choose_kind else "請先選擇這個檔案是哪一種系統匯出。")
        return
    if source not in SOURCES:
        if upload is not None:
            problems = kind_problems(upload, name, source, context.source.official, year=context.year,
                                     unit=context.unit)
            show_problems(name, problems or [Problem(f"此檔案可以讀成{KIND_NAMES[source]}，請重新選擇檔案", name)])
        return
    choices = mapping_choices(needed, source)
    guesses = {**choices.guesses, **(current[1] if current and current[0] == source else {})}
    labels = {**choices.required, **choices.optional}
    prefix = f"mapping_{index}_{needed.signature}_{source}"
    with st.form(key=f"mapping_form_{index}_{needed.signature}"):
        if choices.samples:
            st.caption("每個標題後的括號內是檔案中該欄的例子（個人資料已遮蔽）。")
        for group in choices.one_of:
            st.caption("下列欄位至少要指定一個：" + "、".join(labels[column] for column in group))
        selections: dict[str, str | None] = {}
        for column, label in choices.required.items():
            options = list(choices.headers)
            guess = guesses.get(column)
            selections[column] = st.selectbox(f"{label}（必要）", options, key=f"{prefix}_{column}",
                                              index=options.index(guess) if guess in options else None,
                                              format_func=choices.shown, placeholder="請選擇對應的標題")
        for column, label in choices.optional.items():
            options = [NO_COLUMN, *choices.headers]
            guess = guesses.get(column)
            selections[column] = st.selectbox(label, options, key=f"{prefix}_{column}",
                                              index=options.index(guess) if guess in options else 0,
                                              format_func=choices.shown)
        submitted = st.form_submit_button("儲存欄位對應並重新讀取", type="primary")
    if not submitted:
        return
    mapping = {column: None if header in (None, NO_COLUMN) else header for column, header in selections.items()}
    try:
        remember_mapping(context.services.mappings_for(context.actor), needed, mapping, year=context.year,
                         unit=context.unit, source=source)
    except InputError as error:
        show_problems(name, error.problems)
        return
    except KpiError as error:
        st.error(f"欄位對應未能儲存：{escape_markdown(error)}")
        return
    flash("success", f"已儲存「{escape_markdown(name)}」的欄位對應（{SOURCES[source].label}），之後標題相同的檔案會自動套用。")
    st.rerun()


def show_mapping_needed(context: Context, index: int, read_file: FileRead) -> None:
    needed = read_file.needed
    with st.container(border=True):
        if isinstance(needed, KindNeeded):
            st.warning(f"**{escape_markdown(read_file.name)}**：{UNRECOGNIZED}。請選擇這個檔案的種類；系統匯出檔再指定各欄位"
                       "對應的標題，儲存後會自動重新讀取，之後標題相同的檔案會自動套用（只需設定一次）。")
            with st.expander("各種檔案須有的欄位"):
                st.markdown(escape_markdown(mapping_reason(needed)))
        else:
            st.warning(f"**{escape_markdown(read_file.name)}**：需要指定欄位對應。{escape_markdown(mapping_reason(needed))}"
                       "請選擇資料種類與各欄位對應的標題，儲存後會自動重新讀取（只需設定一次）。")
        mapping_form(context, index, read_file.name, needed, upload=read_file.upload)


def remap_expander(context: Context, index: int, read_file: FileRead) -> None:
    """For a file read with a saved mapping, or an export refused for its content: a way to (re)map its columns."""
    if read_file.remembered is not None:
        needed, source, mapping = read_file.remembered
        with st.expander("重新指定欄位對應（目前套用先前儲存的對應）"):
            mapping_form(context, index, read_file.name, needed, (source, mapping), upload=read_file.upload)
    elif read_file.question is not None:
        question = read_file.question
        with st.expander("欄位辨識有誤？重新指定欄位對應（目前為系統自動辨識的對應）"):
            mapping_form(context, index, read_file.name, question, (question.source, question.guesses),
                         upload=read_file.upload)


def incomplete_warning(context: Context, files: Sequence[FileRead]) -> None:
    """Months the selected files bring figures for that would still be incomplete once stored."""
    lines = incomplete_lines(files, context.source.official, None if context.source.is_sample else context.source.frame,
                             context.plan.key)
    if lines:
        st.warning("**儲存後下列月份的數字仍不齊全**：這些月份不會成為預設的「統計至」月份；"
                   "若以它們為統計月份，缺少的項目會使指標顯示落後。請一併上傳其餘的檔案，或確認後仍可儲存。\n\n"
                   + "\n".join(f"- {line}" for line in lines), icon=":material/rule:")


def month_checklist(context: Context) -> None:
    """Each month of the year × each source: delivered (✓), partly (缺 N 項) or not at all (未上傳)."""
    figures = context.figures
    st.caption(f"{context.plan.label}：每月各來源是否已提供指標所需的每一個數字（月底數也須每月填報；"
               "「月報範本」指系統匯出檔以外、需在範本中填寫的項目）。")
    st.dataframe(checklist_frame(figures), hide_index=True, width="stretch", key="month_checklist")
    details = checklist_details(figures)
    if details:
        with st.expander(f"各月尚缺的項目（{len(details):,} 個月）"):
            st.markdown("\n".join(f"- {line}" for line in details))


def permission_problems(context: Context, files: Sequence[FileRead]) -> dict[str, list[str]]:
    """Files with figures of a unit the account may not report (by file name), each named with the core's reason."""
    refused = unpermitted(files, lambda unit: context.can(Action.UPLOAD, unit))
    return {name: [f"「{escape_markdown(name)}」含有{escape_markdown(unit)} {year}年的數字：{escape_markdown(reason)}。" for year, unit, reason in periods]
            for name, periods in refused.items()}


def store_files(context: Context, files: Sequence[FileRead], choices: Mapping[Key, int] | None = None) -> bool:
    """Each file as one batch, in the order chosen, all in one transaction: every file is stored or none.
    Nothing reaches here unless every file was read cleanly and every conflict between them settled (`choices`:
    which file's value is kept); the core checks the account and the conflicts once more."""
    with st.status(f"儲存 {len(files):,} 個檔案…", expanded=False) as status:
        try:
            results = context.services.upload(context.actor, [read.stored() for read in files], choices)
        except StoreBusy as error:  # the files stay selected: the same button tries again
            flash("warning", f"{escape_markdown(error)}所選的檔案仍在下方，稍候再按一次「確認儲存」即可。")
            status.update(label="資料庫忙碌中，未儲存", state="error")
            return False
        except KpiError as error:
            flash("error", f"{escape_markdown(error)}（所選檔案均未儲存）")
            status.update(label="儲存失敗", state="error")
            return False
        for read, result in zip(files, results):
            flash("info" if result.unchanged else "success", escape_markdown(result.message))  # the message names the file
            status.write(escape_markdown(result.message))
        status.update(label="儲存完成", state="complete")
    return True


# ---- files of one selection that disagree: drop a file, or choose whose value is kept ----

def dropped_key() -> str:
    """The files set aside (by content digest) for this selection; a new selection starts with none."""
    return f"dropped_{uploader_key()}"


def set_aside(digest: str, dropped: bool) -> None:
    kept_out = set(st.session_state.get(dropped_key(), ()))
    st.session_state[dropped_key()] = kept_out | {digest} if dropped else kept_out - {digest}


def without_dropped(files: Sequence[Upload]) -> list[Upload]:
    """The selection less the files the user chose not to use, each of those named with a way to take it back."""
    kept_out = st.session_state.get(dropped_key(), set())
    kept = []
    for index, upload in enumerate(files):
        digest = upload.digest
        if digest not in kept_out:
            kept.append(upload)
            continue
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.info(f"「{escape_markdown(upload.name)}」已設為不使用：不會讀取，也不會儲存。", icon=":material/block:")
        button.button("恢復使用", key=f"restore_{index}_{digest[:12]}", on_click=set_aside, args=(digest, False))
    return kept


def conflict_widget_key(conflict: Conflict, digests: Sequence[str]) -> str:
    """One radio per conflict and set of files: a radio whose files changed starts again without a choice."""
    files = hashlib.sha256("|".join(digests[file] for file in conflict.files).encode()).hexdigest()[:12]
    return f"conflict_{uploader_key()}_{conflict.year}_{conflict.month}_{conflict.unit}_{conflict.field}_{files}"


def choose_everywhere(conflicts: Sequence[Conflict], digests: Sequence[str], file: int) -> None:
    for key in choose_file(conflicts, file):
        conflict = next(conflict for conflict in conflicts if conflict.key == key)
        st.session_state[conflict_widget_key(conflict, digests)] = digests[file]


@dataclass(frozen=True)
class Settled:
    choices: dict[Key, int]  # per conflicting key, the position of the file whose value is kept
    frames: list[pd.DataFrame]  # each file's figures as they will be stored


def settle_conflicts(context: Context, files: Sequence[FileRead]) -> Settled | None:
    """The values files of the selection disagree on, side by side, and the ways to settle them: a file not used,
    one file's values for all, or a choice per value. None while any conflict is open (nothing may be stored)."""
    names = [read.name for read in files]
    conflicts = find_conflicts([(read.name, read.frame) for read in files])
    if not conflicts:
        return Settled({}, [read.frame for read in files])
    field_names = {code: field.name for code, field in context.catalogue.field_by_code.items()}
    digests = [read.digest for read in files]
    headers = file_headers(names)
    involved = sorted({file for conflict in conflicts for file in conflict.files})
    st.markdown("##### 檔案之間不一致的數字")
    example = conflicts[0]
    st.error(f"**所選的檔案中有 {len(conflicts):,} 個數字互相矛盾**：同一個月份的同一個項目，在不同檔案中的數值不同"
             f"（例如 {example.label(field_names)}："
             + "、".join(f"「{escape_markdown(entry.name)}」為 {escape_markdown(entry.text)}" for entry in example.entries)
             + "）。請在下方決定以哪個檔案為準；決定之前，所有檔案都不會儲存。", icon=":material/difference:")
    st.dataframe(conflict_table(conflicts, names, field_names), hide_index=True, width="stretch",
                 key="upload_conflicts")
    st.markdown("**方法一：整個檔案為準，或不使用某個檔案**")
    for file in involved:
        text, keep, drop = st.columns([3, 2, 2], vertical_alignment="center")
        text.markdown(f"「{escape_markdown(headers[file])}」")
        keep.button(f"以「{escape_markdown(headers[file])}」為準", key=f"conflict_keep_{file}_{digests[file][:12]}",
                    on_click=choose_everywhere, args=(conflicts, digests, file),
                    help="下方每一個不一致的數字都選這個檔案的數值（此檔案沒有的數字仍須另外選擇）；之後仍可逐項更改。")
        drop.button("不使用此檔", key=f"conflict_drop_{file}_{digests[file][:12]}", on_click=set_aside,
                    args=(digests[file], True), help="此檔案的所有數字都不儲存；可再按「恢復使用」。")
    st.markdown("**方法二：逐項選擇以哪個檔案的數值為準**")
    choices: dict[Key, int] = {}
    several_units = len({conflict.unit for conflict in conflicts}) > 1
    for conflict in conflicts:
        by_digest = {digests[entry.file]: entry for entry in conflict.entries}
        picked = st.radio(escape_markdown(conflict.label(field_names) + (f"（{conflict.unit}）" if several_units else "")),
                          list(by_digest), index=None, horizontal=True, key=conflict_widget_key(conflict, digests),
                          format_func=lambda digest, by_digest=by_digest: escape_markdown(
                              f"「{headers[by_digest[digest].file]}」的 {by_digest[digest].text}"))
        if picked in by_digest:
            choices[conflict.key] = by_digest[picked].file
    still_open = unresolved(conflicts, choices)
    st.caption("未選用的數值不會儲存；同一檔案中的其他數字照常儲存。您的選擇會記入操作紀錄。")
    if still_open:
        st.warning(f"尚有 {len(still_open):,} 個數字未決定以哪個檔案為準（已決定 {len(conflicts) - len(still_open):,} 個）；"
                   "全部決定後才能儲存。", icon=":material/pending:")
        return None
    st.success(f"{len(conflicts):,} 個不一致的數字都已決定以哪個檔案為準，下方預覽即為將儲存的數字。")
    return Settled(choices, resolve([read.frame for read in files], conflicts, choices))


def uploader_key() -> str:
    return f"uploader_{st.session_state.get(UPLOADER_GENERATION, 0)}"


def clear_uploader() -> None:
    st.session_state[UPLOADER_GENERATION] = st.session_state.get(UPLOADER_GENERATION, 0) + 1


@cached_on_source(max_entries=16)
def template_bytes(source: Source, year: int, unit: str) -> bytes:
    """The template of a plan in force, made once per data version (which carries the plan versions)."""
    return build_template(source.catalogue.plan(year, unit))


@st.dialog("確認復原上傳", width="large", on_dismiss=settle_confirmation)
def confirm_undo(services: Services, actor: Actor, batch: BatchInfo) -> None:
    """Undo asks once more, naming the batch and, month by month, what goes back."""
    try:
        values = services.store.batch_values(batch.id)
    except KpiError as error:
        st.error(escape_markdown(error))
        return
    effects = undo_effects(values)
    several_units = len({effect.unit for effect in effects}) > 1
    st.markdown(f"確定要復原**第 {batch.id:,} 批「{escape_markdown(batch.file_name)}」**？")
    st.markdown(f"- 檔案：{escape_markdown(batch.file_name)}（{batch.row_count:,} 筆）\n"
                f"- 單位與年度：{escape_markdown(periods_text(batch.periods)) or '—'}\n"
                f"- 上傳者：{escape_markdown(batch.uploader) or '—'}\n"
                f"- 上傳時間：{taiwan_time(batch.uploaded_at)}")
    st.markdown("**復原後**：\n" + ("\n".join(f"- {escape_markdown(effect.text(with_unit=several_units))}" for effect in effects)
                                    or "- 此批沒有改變任何數字"))
    if len(effects) > 1:  # the result names the batch's totals: the same counts, in the same words
        st.markdown("合計：" + counts_text(*(sum(getattr(effect, count) for effect in effects)
                                           for count in ("restored", "removed", "unchanged"))))
    st.caption("復原會記入操作紀錄；復原後若要再用這些數字，請重新上傳檔案。")
    confirmation_buttons("確認復原", f"undo_confirm_{batch.id}", f"undo_cancel_{batch.id}",
                         lambda: escape_markdown(services.undo(actor, batch.id).message))


def history_list(context: Context, batches: Sequence[BatchInfo], *, limit: int = 30) -> None:
    if not batches:
        st.info("尚無上傳紀錄。")
        return
    if context.actor.account is None:
        st.caption("登入後，填報人可復原自己單位的上傳。")
    shown = batches[:limit]
    for batch, row in zip(shown, history_rows(shown)):
        text, button = st.columns([6, 1], vertical_alignment="center")
        text.markdown(f"~~{escape_markdown(row.text)}~~" if row.undone else escape_markdown(row.text))
        if row.undone:
            continue
        if all(context.can(Action.UNDO, unit).allowed for _, unit in batch.periods or ((None, None),)):
            button.button("復原", key=f"undo_{row.id}", on_click=ask_confirmation, args=("undo", batch.id),
                          help="恢復此批上傳前的數值；若之後的上傳又改過同一數值，須先復原之後的批次。")
    asked = pending_confirmation("undo")
    batch = next((batch for batch in batches if batch.id == asked and not batch.is_undone), None)
    if batch is not None:
        confirm_undo(context.services, context.actor, batch)
    elif asked is not None:
        settle_confirmation()
    if len(batches) > limit:
        st.caption(f"僅列出最近 {limit:,} 批，共 {len(batches):,} 批。")
