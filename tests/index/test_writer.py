"""The writer's commits: small at first, larger as a long run goes on."""

from __future__ import annotations

from music_tools.index.writer import MAX_COMMIT_ROWS, Writer
from music_tools.library import LibraryDatabase
from support.factories import library_file


def test_commits_grow_with_the_rows_written_up_to_a_cap(db: LibraryDatabase) -> None:
    writer = Writer(db, rows=50, seconds=3600)
    writer.upserts = [library_file(i) for i in range(49)]
    assert not writer.due()
    writer.upserts.append(library_file(49))
    assert writer.due()
    writer.commit()
    writer.clear()
    writer.upserts = [library_file(i) for i in range(50, 2_050)]
    writer.commit()
    writer.clear()  # 2,050 rows written: a commit now waits for 205
    writer.upserts = [library_file(i) for i in range(2_050, 2_250)]
    assert not writer.due()
    writer.upserts.append(library_file(2_250))
    writer.upserts += [library_file(i) for i in range(2_251, 2_255)]
    assert writer.due()
    writer.written = 10**9
    writer.upserts = [library_file(i) for i in range(MAX_COMMIT_ROWS - 1)]
    assert not writer.due()
    assert db.count_files() == 2_050
