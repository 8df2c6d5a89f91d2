"""The audit chain's report in people's words: metrics.store.audit_chain says where the chain breaks as data (a
ChainBreak of a BreakReason and its ids and hashes) and this module says why in Traditional Chinese. Importing
metrics.services installs `explanation` on ChainBreak, so a page or a command shows these words."""

from __future__ import annotations

from collections.abc import Callable

from metrics.store.audit_chain import BreakReason, ChainBreak

R = BreakReason


# ---- the audit chain ----

def _ids(first: int, last: int) -> str:
    return f"編號 {first:,}" if first == last else f"編號 {first:,}～{last:,}"


def _anchor(anchor_id: int, anchor_hash: str, state: str) -> str:
    return f"先前記下的編號 {anchor_id:,}（雜湊值 {anchor_hash[:16]}…）{state}。"


_EXPLANATIONS: dict[BreakReason, Callable[..., str]] = {
    R.UNHASHED: lambda: "這筆沒有雜湊值，不是由本系統寫入的：是在系統之外直接插入資料表的紀錄。",
    R.CONTENT_CHANGED: lambda: ("這筆的內容（時間、帳號、動作、結果、單位、年度、對象或內容）與寫入時算出的雜湊值不符："
                                "寫入後被修改過。"),
    R.MATCHES_NOTHING: lambda: "這筆的雜湊值與內容、與前一筆都對不上：不是由本系統寫入的，是後來插入或整筆替換的紀錄。",
    R.MOVED: lambda holder: f"這筆寫入時緊接在現在的編號 {holder:,} 之後，現在卻排在它前面：紀錄的編號被改過、順序被調動。",
    R.SLIPPED_IN: lambda holder, next_id, first, last: (
        f"編號 {holder:,} 之後原本緊接的是編號 {next_id:,}；{_ids(first, last)} 不在原本的鏈結中，是後來插入的紀錄。"),
    R.SECOND_START: lambda: "這筆自稱是第一筆紀錄，但前面還有紀錄：是後來另起一條鏈插入的紀錄。",
    R.FIRST_DELETED: lambda: "這筆之前原本還有紀錄，現在已不在資料表中：最早的紀錄被刪除了。",
    R.REHASHED: lambda next_id: (f"這筆寫入後被修改過，雜湊值也被重新計算：下一筆（編號 {next_id:,}）寫入時記下的前一筆雜湊值"
                                 "與它不同（或它與下一筆之間的紀錄被刪除後重新編號）。"),
    R.DELETED_BETWEEN: lambda before_id, first, last: (
        f"這筆原本的前一筆已不在資料表中（{_ids(first, last)} 不見了）：編號 {before_id:,} 與這筆之間的紀錄被刪除了。"),
    R.ANCHOR_GONE: lambda anchor_id, anchor_hash: _anchor(anchor_id, anchor_hash,
                                                          "已不在資料表中：這一筆與其後的紀錄被刪除了"),
    R.ANCHOR_CHANGED: lambda anchor_id, anchor_hash: _anchor(
        anchor_id, anchor_hash, "的雜湊值已不同：這一筆或更早的紀錄被改動過，整條鏈又被重新計算"),
}


def explanation(broken: ChainBreak) -> str:
    """Why the chain breaks at this row, for the report of `audit --verify` and of a backup's check."""
    return _EXPLANATIONS[broken.reason](**broken.values)


def who_did_what(broken: ChainBreak) -> str:
    """Who did what, as the broken row says, to find it on the 操作紀錄 page ("" for a written-down anchor)."""
    return "　".join(part for part in (broken.account, broken.action) if part)


def install() -> None:
    ChainBreak.wording = explanation
