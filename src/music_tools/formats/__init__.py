"""What a file is and where its parts lie, from its bytes alone (no mutagen, no database).

Extensions and magic bytes (`sniff`); a file read through cached head and tail windows
(`window`, I/O only); and one module or package per container format, each offering the same
surface (`container.Container`): its walk, its damage check, where it keeps its audio (the
payload), and its lean tag reader (`mpeg`, `flac`, `riff` for WAV and AIFF, `mp4`, `ogg`,
`asf`, `ape`, `wavpack`, `musepack`, `dsd`; `raw` for a stream between tags), with the tag
formats they share (`id3`, `apev2`, `tag_fields`). The reading stage dispatches to them; the
identity stage hashes the payload they locate.
"""
