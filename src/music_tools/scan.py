"""Walk library roots: stat only, never open a file.

`os.scandir` gives names and, on Linux, the file type without a stat; a stat per candidate
file gives size and mtime_ns. Symbolic links are followed into files and folders, but a
folder already visited (same device and inode) is never entered twice, so link loops end.
Names that are not valid UTF-8 come through as `os.fsdecode` strings and are kept.
"""

from __future__ import annotations

import os
import stat as stat_module
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .errors import os_reason
from .formats.sniff import AUDIO_EXTENSIONS
from .models import FileEntry, ScanFailure
from .util import is_inside, special_kind

__all__ = ["FolderScan", "ScanOptions", "normalize_roots", "scan", "scan_folders"]


@dataclass(frozen=True, slots=True)
class ScanOptions:
    include_hidden: bool = False
    #: report files with an extension we do not read as errors instead of skipping them
    all_files: bool = False


def normalize_roots(roots: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Absolute, deduplicated roots; a root inside another given root is dropped."""
    absolute = sorted({os.path.abspath(os.fspath(r)) for r in roots})
    kept: list[str] = []
    for root in absolute:
        if not any(is_inside(root, outer) for outer in kept):
            kept.append(root)
    return kept


@dataclass(slots=True)
class FolderScan:
    """One folder's audio files (and what in it could not be read), in name order.

    `listed` is False when the folder itself could not be listed: then `items` holds only
    that failure, and what the library knows under the folder must not be taken as gone.
    """

    folder: str
    items: list[FileEntry | ScanFailure]
    listed: bool = True


def scan(root: str, options: ScanOptions | None = None) -> Iterator[FileEntry | ScanFailure]:
    """Every audio file under `root` as a FileEntry; what cannot be listed as ScanFailure."""
    for folder in scan_folders(root, options):
        yield from folder.items


def scan_folders(root: str, options: ScanOptions | None = None) -> Iterator[FolderScan]:
    """The folders under `root`, one at a time, depth first in name order.

    Folders holding no audio are yielded too (with no items), so a caller diffing folder by
    folder learns every folder that exists.
    """
    options = options or ScanOptions()
    if not os.path.isdir(root):
        reason = "not a folder" if os.path.exists(root) else "no such folder"
        yield FolderScan(root, [ScanFailure(root, reason, library_root=root)], listed=False)
        return
    walked = [os.path.realpath(root)]  # real trees being walked: a link into one is skipped
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            failure = ScanFailure(folder, os_reason(exc), library_root=root)
            yield FolderScan(folder, [failure], listed=False)
            continue
        subfolders: list[str] = []
        yield FolderScan(folder, _files(listed, root, options, walked, subfolders))
        subfolders.sort(reverse=True)  # pop() then visits them in name order
        stack.extend(subfolders)


def _files(
    listed: list[os.DirEntry[str]],
    root: str,
    options: ScanOptions,
    walked: list[str],
    subfolders: list[str],
) -> list[FileEntry | ScanFailure]:
    """The audio files among a folder's entries; its subfolders go to `subfolders`."""
    found: list[FileEntry | ScanFailure] = []
    for entry in listed:
        name = entry.name
        if name[0] == "." and not options.include_hidden:
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if not entry.is_symlink() or _follow(entry.path, walked):
                subfolders.append(entry.path)
            continue
        dot = name.rfind(".")
        extension = name[dot:].lower() if dot > 0 else ""
        if extension not in AUDIO_EXTENSIONS and not options.all_files:
            continue
        item = _file(entry, root, extension)
        if item is not None:
            found.append(item)
    found.sort(key=_path_of)
    return found


def _path_of(item: FileEntry | ScanFailure) -> str:
    return item.path if isinstance(item, FileEntry) else item.file_path


def _follow(link: str, walked: list[str]) -> bool:
    """Whether to enter a linked folder: only if its real path is in no tree being walked
    and holds none.

    Without links a folder tree has no cycles, so only linked folders are resolved; one that
    points into a walked tree (its own ancestors included) is skipped, which ends every loop
    and walks each real folder once.
    """
    target = os.path.realpath(link)
    if any(is_inside(target, tree) or is_inside(tree, target) for tree in walked):
        return False  # inside a walked tree, or an ancestor of one
    walked.append(target)
    return True


def _file(entry: os.DirEntry[str], root: str, extension: str) -> FileEntry | ScanFailure | None:
    try:
        info = entry.stat()
    except OSError as exc:
        if entry.is_symlink() and extension not in AUDIO_EXTENSIONS:
            return None
        return ScanFailure(entry.path, os_reason(exc), library_root=root)
    if not stat_module.S_ISREG(info.st_mode):  # FIFOs, devices, sockets: never opened
        return ScanFailure(
            entry.path,
            f"not a regular file ({special_kind(info.st_mode)})",
            library_root=root,
        )
    if extension not in AUDIO_EXTENSIONS:
        return ScanFailure(entry.path, "not an audio file", info.st_size, info.st_mtime_ns, root)
    return FileEntry(entry.path, info.st_size, info.st_mtime_ns, root)
