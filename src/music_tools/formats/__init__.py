"""What a file is and where its parts lie, from its bytes alone (no mutagen, no database).

Extensions and magic bytes (`sniff`), a file read through cached head and tail windows
(`window`), Ogg pages, RIFF/AIFF chunks, and where each format keeps its audio (`payload`).
The reading stage fills tags from these; the identity stage hashes the payload they locate.
"""
