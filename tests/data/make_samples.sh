#!/usr/bin/env bash
# Regenerates the committed samples for formats soundfile cannot write. Not run by the tests
# or CI (they use the committed files); needs Debian's ffmpeg and musepack-tools.
# Each format has two samples, a and b, of different audio (440 Hz and 660 Hz tones).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for variant in a b; do
    freq=$([ "$variant" = a ] && echo 440 || echo 660)
    src="sine=frequency=$freq:duration=0.6:sample_rate=22050"
    tags=(-metadata artist="Sample Artist" -metadata title="Sample $variant" -metadata album="Samples")
    ffmpeg -loglevel error -y -f lavfi -i "$src" -ac 1 -c:a aac -b:a 24k "${tags[@]}" "aac-$variant.m4a"
    ffmpeg -loglevel error -y -f lavfi -i "$src" -ac 1 -c:a alac "${tags[@]}" "alac-$variant.m4a"
    ffmpeg -loglevel error -y -f lavfi -i "$src" -ac 1 -c:a wmav2 -b:a 32k "${tags[@]}" "wma-$variant.wma"
    ffmpeg -loglevel error -y -f lavfi -i "$src" -ac 1 -c:a wavpack "${tags[@]}" "wavpack-$variant.wv"
    ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=$freq:duration=0.6:sample_rate=44100" \
        -ac 2 -c:a pcm_s16le "$tmp/$variant.wav"
    mpcenc --silent --overwrite "$tmp/$variant.wav" "musepack-$variant.mpc"
done
