"""資料上傳: the template, several files at once (monthly reports and raw system exports), what each
file was recognized as, a column mapping when an export needs one, a preview of what changes, a
confirm button, the problems of a refused file, and the upload history with undo."""

import streamlit as st

from metrics.outputs.presentation import frame_months, preview_summary, preview_table
from metrics.plans.roles import Action
from metrics.intake.safety import EXPORT_MAX_BYTES, TEMPLATE_MAX_BYTES
from metrics.services.locks import locked_previews
from metrics.intake.selection import distinct_files, repeated_text
from metrics.services.selection import files_without_problems
from ui.auth import refusal
from ui.layout import reading, start_page
from ui.upload import (PRIVACY_NOTICE, clear_uploader, export_settings, history_list,
                       incomplete_warning, month_checklist, permission_problems, read_files, remap_expander,
                       settle_conflicts, show_mapping_needed, show_read, store_files, template_bytes, uploader_key, without_dropped)
from ui.widgets import escape_markdown, show_problems

context = start_page("資料上傳")
store = context.source.store  # read-only here: every write goes through context.services

st.markdown("##### 1. 下載月報範本")
plan = context.plan
st.download_button(f"下載{plan.label}月報範本（.xlsx）",
                   data=template_bytes(context.source, plan.year, plan.unit),
                   file_name=f"月報範本_{plan.unit_name}_{plan.year}年.xlsx", key="template_download",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
st.caption("範本每列一個項目、每欄一個月；空白表示未填報（不是 0）。也接受長表格式（年度、月份、單位、項目代碼、數值）的 .csv 或 .xlsx，"
           "以及系統匯出檔：公文清單（公文管理系統）、人事名冊（人事系統）、歲出預算執行表（會計系統）、政風案件紀錄，"
           "系統會自動辨識並換算成每月數字。")

st.markdown("##### 2. 選擇檔案（可一次選多個）")
may_upload = context.can(Action.UPLOAD, plan.unit)
if not may_upload.allowed:
    refusal(may_upload)
    account = context.actor.account
    if account is not None and account.units and context.can(Action.UPLOAD, account.units[0]).allowed:
        st.caption(f"要上傳 {escape_markdown('、'.join(account.units))} 的數字，請在左側將單位切換為您負責的單位。")
elif plan.sample:
    st.warning(f"左側選擇的是範例計畫（{plan.label}）：範例的目標值是虛構的，不接受上傳。檔案中的數字只依正式計畫檢查"
               f"（{context.source.official.available_text()}）", icon=":material/science:")
uploads = None
if may_upload.allowed:
    st.info(PRIVACY_NOTICE, icon=":material/shield_person:")
    st.caption(f"檔案中未註明單位或年度的數字，以及系統匯出檔，都視為 **{plan.label}** 的數字（可在左側切換年度與單位）；"
               "檔案中註明其他單位或年度的數字，依該單位該年度的計畫檢查。")
    options, month = export_settings(plan.year)
    uploads = st.file_uploader(f"月報或系統匯出檔（.xlsx 或 .csv；月報每檔 {TEMPLATE_MAX_BYTES >> 20} MB、"
                               f"系統匯出每檔 {EXPORT_MAX_BYTES >> 20} MB 以內）", type=["xlsx", "csv"],
                               accept_multiple_files=True, key=uploader_key())
if uploads:
    chosen, repeated = distinct_files([(upload.name, upload.getvalue()) for upload in uploads])
    if repeated:
        st.info(escape_markdown(repeated_text(repeated)), icon=":material/content_copy:")
    chosen = without_dropped(chosen)
    files = read_files(chosen, context, options, month) if chosen else []
    not_permitted = permission_problems(context, files)
    refused = [read for read in files if read.problems]
    waiting = [read for read in files if read.needed is not None and not read.problems]
    for index, read in enumerate(files):
        if read.problems:
            show_problems(read.name, read.problems)
            remap_expander(context, index, read)
        elif read.needed is not None:
            show_mapping_needed(context, index, read)
    if not_permitted:
        st.error("**沒有權限儲存下列數字**：\n\n" + "\n".join(f"- {problem}" for problems in not_permitted.values()
                                                              for problem in problems))
    if refused or not_permitted:
        good = files_without_problems(files, not_permitted)
        st.warning("所有選取的檔案都未儲存（任一檔案有誤即全部不儲存）。"
                   + (f"沒有問題的檔案：{escape_markdown('、'.join(good))}。" if good else "") + "請修正後重新選擇檔案。")
    elif waiting:
        st.warning("請先完成上方的欄位對應；完成前，所選的檔案都不會儲存。")
    elif not files:
        st.info("所選的檔案都已設為不使用；請按「恢復使用」，或重新選擇檔案。")
    elif (settled := settle_conflicts(context, files)) is None:
        st.button(f"確認儲存 {len(files):,} 個檔案", type="primary", key="confirm_upload", disabled=True,
                  help="請先決定上方不一致的數字以哪個檔案為準。")
    else:
        st.markdown("##### 3. 確認將儲存的數字")
        previews = []
        for index, (read, frame) in enumerate(zip(files, settled.frames)):
            with reading():
                preview = store.preview(frame)
            previews.append(preview)
            counts = preview_summary(preview)
            with st.container(border=True):
                st.markdown(f"**{escape_markdown(read.name)}**：{frame_months(frame)}，共 {len(preview):,} 筆"
                            f"（新增 {counts['新增']:,}、修改 {counts['修改']:,}、相同 {counts['相同']:,}）")
                show_read(read)
                remap_expander(context, index, read)
                if counts["修改"]:
                    st.caption("以下數字與資料庫中目前的數字不同，儲存後將以上傳數值為準（可於上傳紀錄復原）：")
                    st.dataframe(preview_table(preview, context.catalogue.field_by_code, changed_only=True), hide_index=True, width="stretch")
                with st.expander("全部數字"):
                    st.dataframe(preview_table(preview, context.catalogue.field_by_code), hide_index=True, width="stretch")
        incomplete_warning(context, files)
        with reading():
            locked = locked_previews(store, context.services.roles, previews)
        if locked:
            st.warning("**選取的檔案會改變已核定而鎖定的月份，按確認也不會儲存**：\n\n"
                       + "\n".join(f"- {escape_markdown(message)}" for message in locked), icon=":material/lock:")
        st.caption(f"上傳者：{escape_markdown(context.actor.label)}（記入上傳紀錄與操作紀錄）")
        if st.button(f"確認儲存 {len(files):,} 個檔案", type="primary", key="confirm_upload"):
            if store_files(context, files, settled.choices):
                clear_uploader()
            st.rerun()

st.markdown("##### 每月資料核對")
month_checklist(context)

st.markdown("##### 上傳紀錄")
history_list(context, context.source.history)
