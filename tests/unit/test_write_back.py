"""streams/write_back.py: a message's row changes reach the table once, at flush."""

from __future__ import annotations

from typing import Any

from pillarwatch.streams.write_back import WriteBack


class CountingTable(dict[str, Any]):
    """A dict that records every write and delete, as a changelog would."""

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.log: list[tuple[str, str]] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.log.append(("set", key))
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.log.append(("del", key))
        super().__delitem__(key)


def test_reads_see_pending_changes_and_the_table_gets_each_key_once() -> None:
    table = CountingTable({"old": 1, "kept": 2})
    rows = WriteBack(table)
    for n in range(5):
        rows["a"] = n  # five changes of one row
    rows["b"] = "x"
    del rows["old"]
    assert rows.get("a") == 4 and rows["kept"] == 2
    assert "old" not in rows and "b" in rows and "missing" not in rows
    assert sorted(rows) == ["a", "b", "kept"] and len(rows) == 3
    assert table.log == []  # nothing written before the flush
    rows.flush()
    assert dict(table) == {"kept": 2, "a": 4, "b": "x"}
    assert sorted(table.log) == [("del", "old"), ("set", "a"), ("set", "b")]


def test_a_row_set_and_then_deleted_in_one_message_is_not_written() -> None:
    table = CountingTable()
    rows = WriteBack(table)
    rows["new"] = 1
    del rows["new"]
    rows.flush()
    assert table == {} and table.log == []
