"""MP4/M4A: the top-level atoms' walk and the lean reader (atom tree, sample entry, items)."""
