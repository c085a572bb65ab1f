#!/usr/bin/env bash
# Builds the Debian package and checks it: a portable build (no -march=native) in build-package,
# `cpack -G DEB`, then the package's contents (binary, desktop entry, icons, metainfo, manual
# page, completion, MIME type), desktop-file-validate, appstreamcli validate and lintian.
# Prints the .deb's path last. Usage: scripts/package.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-package}"
bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLAYERLENS_NATIVE=OFF \
  -DLAYERLENS_BUILD_TESTS=OFF -DLAYERLENS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls -t "$build"/layerlens_*_amd64.deb | head -1)

fail=0
check() { if "$@"; then :; else echo "package: FAILED: $*" >&2; fail=1; fi; }
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/layerlens \
         ./usr/share/applications/io.github.layerlens.LayerLens.desktop \
         ./usr/share/icons/hicolor/scalable/apps/layerlens.svg \
         ./usr/share/icons/hicolor/16x16/apps/layerlens.png \
         ./usr/share/icons/hicolor/256x256/apps/layerlens.png \
         ./usr/share/metainfo/io.github.layerlens.LayerLens.metainfo.xml \
         ./usr/share/man/man1/layerlens.1.gz \
         ./usr/share/bash-completion/completions/layerlens \
         ./usr/share/mime/packages/layerlens.xml \
         ./usr/share/doc/layerlens/copyright \
         ./usr/share/doc/layerlens/changelog.gz; do
  check grep -q " $f\$" <<<"$contents"
done
echo "package: Depends: $(dpkg-deb --field "$deb" Depends)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
check desktop-file-validate "$tmp/usr/share/applications/io.github.layerlens.LayerLens.desktop"
check appstreamcli validate --no-net --pedantic \
  "$tmp/usr/share/metainfo/io.github.layerlens.LayerLens.metainfo.xml"
check "$tmp/usr/bin/layerlens" help >/dev/null
if command -v lintian >/dev/null; then
  # Findings that remain are explained in the README (Install a package).
  lintian --tag-display-limit 0 "$deb" || true
fi
[[ $fail -eq 0 ]] || exit 1
echo "$deb"
