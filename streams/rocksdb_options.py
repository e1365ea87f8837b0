"""RocksDB options for Faust tables, sized for a worker container.

faust-streaming 0.15 opens one RocksDB database per table *and per partition* the worker holds
(active and standby), through rocksdict when it is installed (`pip install 'pillarwatch[rocksdb]'`;
the older python-rocksdb binding is used only if rocksdict is missing). Its defaults are per
database: a 2 GiB block cache, 3 x 64 MiB memtables, and max_open_files at 90 % of the process
limit. With 4 tables and 8 partitions that is tens of GiB of address space a container will
never have, so an OOM kill arrives long before any RocksDB error.

The options are per table in Faust 0.15 (there is no app-wide setting): pass
`options=table_options()` to `app.Table(...)`. The in-memory store ignores them, so the same
call works for `memory://`.

Bound per database: write_buffer_size x max_write_buffer_number + block_cache_size
= 4 x 2 + 8 = 16 MiB. Per worker: tables x (active + standby partitions) x 16 MiB; e.g. 4
tables x 6 partitions = 384 MiB at most, reached only under sustained writes and reads.
docs/deploy.md explains how to size it.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MIB", "ROCKSDB_TABLE_OPTIONS", "table_options"]

MIB: Final = 1024 * 1024

#: Keyword arguments of faust.stores.rocksdb.RocksDBOptions.
ROCKSDB_TABLE_OPTIONS: Final[dict[str, int]] = {
    # Memtable size: the unit of flushing. Small tables flush small files; that is fine here.
    "write_buffer_size": 4 * MIB,
    # One memtable filling while one flushes.
    "max_write_buffer_number": 2,
    # SST file size target, matched to the memtable so a flush writes about one file.
    "target_file_size_base": 8 * MIB,
    # LRU cache of uncompressed blocks for reads; hot contact state fits, cold state is re-read.
    "block_cache_size": 8 * MIB,
    # Used only by python-rocksdb (rocksdict ignores it); kept small in case it is the binding.
    "block_cache_compressed_size": 2 * MIB,
    # Per database. 6 partitions x 4 tables x 2 (standby) x 128 stays well under a 65536 ulimit.
    "max_open_files": 128,
}


def table_options() -> dict[str, int]:
    """A fresh copy of the options: Faust pops keys from the mapping it is given."""
    return dict(ROCKSDB_TABLE_OPTIONS)
