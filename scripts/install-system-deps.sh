#!/usr/bin/env bash
# Installs the Debian packages Yilian needs on a bookworm host (CI and fresh machines).
# - mediasoup worker build from Debian libraries (offline route, see scripts/build-mediasoup-worker.sh)
# - ffmpeg/ffprobe for recordings, dcmtk/imagemagick/poppler for upload processing and test files
# - chromium for browser tests, CJK fonts for PDF reports, docker-compose client to validate compose files
# - coturn (TURN for firewalled hospitals; openssl makes its development certificate), iproute2 + nftables for the
#   network-sandbox tests (tests/links), espeak-ng for a speaking fake microphone there
# - orthanc + orthanc-dicomweb: the demo and test PACS (DICOMweb import and serving); dcmtk makes its studies
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  meson ninja-build pkg-config python3 g++ make
  libuv1-dev libssl-dev libsrtp2-dev libusrsctp-dev libabsl-dev nlohmann-json3-dev
  ffmpeg poppler-utils dcmtk imagemagick img2pdf zip
  chromium fonts-noto-cjk fonts-wqy-microhei
  docker-compose
  coturn openssl iproute2 nftables espeak-ng
  orthanc orthanc-dicomweb
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# deb-src entry so `apt-get source libsrtp2` can fetch the libsrtp 2.5.0 tarball mediasoup's wrap expects.
SRC_LIST=/etc/apt/sources.list.d/yilian-debian-src.sources
need_update=0
if [ ! -f "$SRC_LIST" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
  awk 'BEGIN{RS="";FS="\n"} /URIs: http:\/\/deb.debian.org\/debian\n/ || /URIs: http:\/\/deb.debian.org\/debian$/ {print; exit}' \
    /etc/apt/sources.list.d/debian.sources | sed 's/^Types: deb$/Types: deb-src/' | grep -v '^#' | $SUDO tee "$SRC_LIST" >/dev/null
  need_update=1
fi

if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ]; then
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-system-deps: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-system-deps: ok" >&2
