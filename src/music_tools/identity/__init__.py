"""Identity keys: `metadata_hash` (same song, any encoding), `audio_key` (same audio,
re-tagged), `audio_hash` and `file_content_hash` (whole payload, whole file)."""
