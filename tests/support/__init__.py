"""What the tests share: real audio made with soundfile and mutagen (`audio_factory`,
`music_factory`), rows and libraries (`factories`, `review_library`), the labelled corpora
(`dupe_corpus`, `fingerprint_corpus`), a fake fpcalc that is a real process (`fake_fpcalc`),
and running as an unprivileged user (`nobody`). The benchmarks use them too (they put
`tests/` on sys.path)."""
