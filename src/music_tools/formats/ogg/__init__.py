"""Ogg: the pages' parser and the lean Vorbis and Opus reader."""
