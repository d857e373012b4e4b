"""The cached windows give a file's own bytes, whatever the order and place of the reads."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from music_tools.formats.window import PREFIX, SPOT, WINDOW, FileWindow, OpenFile

#: sizes around every boundary the window keeps: the prefix, a spot, the span, twice the span
SIZES = (1, 100, PREFIX - 1, PREFIX + 1, SPOT + 7, WINDOW - 1, WINDOW + 1, 2 * WINDOW + 333)

_reads = st.lists(
    st.tuples(
        st.sampled_from(("read", "view", "peek")),
        st.floats(min_value=-0.01, max_value=1.01),  # where, as a share of the file
        st.integers(min_value=0, max_value=3 * SPOT),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(size=st.sampled_from(SIZES), reads=_reads)
def test_every_read_gives_the_files_bytes(
    tmp_path: Path, size: int, reads: list[tuple[str, float, int]]
) -> None:
    path = tmp_path / f"data-{size}.bin"
    if not path.exists():
        path.write_bytes(os.urandom(size))
    data = path.read_bytes()
    opened = OpenFile(os.open(path, os.O_RDONLY), str(path))
    with opened:
        window = FileWindow(opened, size)
        for how, share, length in reads:
            offset = max(0, min(size, round(share * size)))
            if how == "read":
                assert window.read(offset, length) == data[offset : offset + length]
            elif how == "view":
                assert bytes(window.view(offset, length)) == data[offset : offset + length]
            else:
                assert window.peek(length) == data[:length]


def test_the_last_bytes_are_read_without_the_tail(tmp_path: Path) -> None:
    """A tag footer or ID3v1 read at the end costs one small read, not the 68 KiB tail."""
    size = 3 * WINDOW
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(size))
    data = path.read_bytes()
    with OpenFile(os.open(path, os.O_RDONLY), str(path)) as opened:
        window = FileWindow(opened, size)
        assert window.read(size - 128, 128) == data[-128:]
        assert window.read(size - 32, 32) == data[-32:]
        assert not _tail_loaded(window)
        assert bytes(window.view(size - 1000, 1000)) == data[-1000:]  # the key's bytes
        assert _tail_loaded(window)
        assert window.read(size - 128, 128) == data[-128:]


def _tail_loaded(window: FileWindow) -> bool:
    return window._tail is not None
