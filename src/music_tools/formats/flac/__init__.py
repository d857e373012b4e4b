"""FLAC: the metadata blocks' walk, the damage check and the lean reader."""
