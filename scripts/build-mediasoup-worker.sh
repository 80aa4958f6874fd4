#!/usr/bin/env bash
# Offline / air-gapped build of the mediasoup worker binary (no GitHub, no wrapdb).
#
# Needs only the npm registry (mediasoup source tarball) and a Debian mirror with a
# deb-src entry (libsrtp 2.5.0 source); system packages come from
# scripts/install-system-deps.sh.
#
# - All worker dependencies except libsrtp2 are replaced by tiny meson subprojects
#   that wrap the Debian system libraries (openssl, libuv, usrsctp, abseil, nlohmann-json).
# - libsrtp2 is built from the real 2.5.0 source (Debian's orig tarball is byte-identical
#   to the one mediasoup's wrap pins), statically linked with OpenSSL crypto as mediasoup's
#   wrap configures it; this is cheaper in CPU than Debian's shared libsrtp2 (built on NSS).
#
# Output: the absolute path of the binary as the last line on stdout; progress on stderr.
# The result is cached per mediasoup version; a cache hit returns immediately.
#
# Env: MEDIASOUP_VERSION (default 3.12.16), YILIAN_CACHE_DIR (default ~/.cache/yilian),
#      YILIAN_BUILD_JOBS (ninja parallelism, default 2).
set -euo pipefail

VERSION="${MEDIASOUP_VERSION:-3.12.16}"
OUT_DIR="${YILIAN_CACHE_DIR:-$HOME/.cache/yilian}/mediasoup-worker-$VERSION"
BIN="$OUT_DIR/mediasoup-worker"
JOBS="${YILIAN_BUILD_JOBS:-2}"

log() { echo "build-mediasoup-worker: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- Cache hit --------------------------------------------------------------------------
if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi

for tool in npm meson ninja pkg-config apt-get sha256sum; do
  command -v "$tool" >/dev/null || die "'$tool' not found; run scripts/install-system-deps.sh"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mediasoup-worker-build.XXXXXX")"
# Clean up on success; keep the build dir on failure for inspection.
trap 'rc=$?; if [ $rc -eq 0 ]; then rm -rf "$WORK"; else log "failed; build dir kept at $WORK"; fi' EXIT
START=$SECONDS

# --- 1. mediasoup source from the npm registry -------------------------------------------
log "fetching mediasoup@$VERSION from the npm registry"
(cd "$WORK" && npm pack --silent "mediasoup@$VERSION" >&2)
tar -xzf "$WORK/mediasoup-$VERSION.tgz" -C "$WORK" package/worker
W="$WORK/package/worker"
SUB="$W/subprojects"

# Debian bookworm ships meson 1.0.1; the worker build works with it.
sed -i -E "s/meson_version: *'>= *[0-9.]+'/meson_version: '>= 1.0.0'/" "$W/meson.build"
grep -q "meson_version: '>= 1.0.0'" "$W/meson.build" || die "could not patch meson_version in meson.build"

# --- 2. Stub subprojects that wrap system libraries -------------------------------------
# Each stub defines exactly the variables worker/meson.build (and deps/libwebrtc/meson.build)
# reads via get_variable(). The *_lib variables are only link_whole'd into the optional
# libmediasoup-worker target, so placeholder static libraries are enough.
stub() { # stub <dir> <meson.build body> [meson_options.txt body]
  mkdir -p "$SUB/$1"
  printf '%s\n' "$2" > "$SUB/$1/meson.build"
  if [ -n "${3:-}" ]; then printf '%s\n' "$3" > "$SUB/$1/meson_options.txt"; fi
  echo 'typedef int yilian_stub_placeholder;' > "$SUB/$1/stub.c"  # meson rejects source-less libs
}
empty_lib() { echo "$1 = static_library('$1', 'stub.c')"; }

for wrap in "$SUB"/*.wrap; do
  name="$(basename "$wrap" .wrap)"
  dir="$(sed -n -E 's/^directory *= *//p' "$wrap")"
  [ -n "$dir" ] || die "no 'directory =' in $wrap"
  case "$name" in
    libsrtp2) LIBSRTP_WRAP="$wrap"; LIBSRTP_DIR="$dir"; continue ;;
    openssl) stub "$dir" "project('openssl', 'c')
openssl_dep = dependency('openssl')
libcrypto_dep = dependency('libcrypto')
libssl_dep = dependency('libssl')
$(empty_lib libcrypto_lib)
$(empty_lib libssl_lib)" ;;
    libuv) stub "$dir" "project('libuv', 'c')
libuv_dep = dependency('libuv')
$(empty_lib libuv)" \
"option('build_tests', type: 'boolean', value: false)
option('build_benchmarks', type: 'boolean', value: false)" ;;
    usrsctp) stub "$dir" "project('usrsctp', 'c')
usrsctp_dep = dependency('usrsctp')
$(empty_lib usrsctp)" \
"option('sctp_build_programs', type: 'boolean', value: false)" ;;
    abseil-cpp) stub "$dir" "project('abseil-cpp', 'c')
absl_container_dep = declare_dependency(dependencies: [
  dependency('absl_flat_hash_map'), dependency('absl_flat_hash_set'),
  dependency('absl_btree'), dependency('absl_inlined_vector'), dependency('absl_memory')])
absl_strings_dep = dependency('absl_strings')
absl_types_dep = declare_dependency(dependencies: [dependency('absl_optional'), dependency('absl_variant')])
$(empty_lib absl_container_lib)" ;;
    nlohmann_json) stub "$dir" "project('nlohmann_json', 'c')
nlohmann_json_dep = dependency('nlohmann_json')" ;;
    catch2) stub "$dir" "project('catch2', 'c')
catch2_dep = declare_dependency()" ;;
    wingetopt) stub "$dir" "project('wingetopt', 'c')  # Windows only; never used here
wingetopt_dep = declare_dependency()
$(empty_lib wingetopt_lib)" ;;
    *) die "unknown subproject '$name' in mediasoup $VERSION; teach this script how to stub it" ;;
  esac
  log "stubbed subproject $name ($dir) with the system library"
done
[ -n "${LIBSRTP_WRAP:-}" ] || die "no libsrtp2.wrap found"

# --- 3. Real libsrtp source from Debian (apt-get source), checked against the wrap -------
srtp_file="$(sed -n -E 's/^source_filename *= *//p' "$LIBSRTP_WRAP")"
srtp_hash="$(sed -n -E 's/^source_hash *= *//p' "$LIBSRTP_WRAP")"
srtp_version="${LIBSRTP_DIR#libsrtp-}"
log "fetching libsrtp $srtp_version source via apt-get source"
mkdir -p "$WORK/apt-src"
(cd "$WORK/apt-src" && apt-get source --download-only -qq -o APT::Sandbox::User=root libsrtp2 >&2) ||
  die "apt-get source libsrtp2 failed; needs a deb-src entry + apt-get update (scripts/install-system-deps.sh)"
orig="$WORK/apt-src/libsrtp2_${srtp_version}.orig.tar.gz"
[ -f "$orig" ] || die "Debian's libsrtp2 source is not version $srtp_version (got: $(ls "$WORK/apt-src"))"
echo "$srtp_hash  $orig" | sha256sum --check --quiet >&2 || die "sha256 of $orig does not match $LIBSRTP_WRAP"
mkdir -p "$SUB/packagecache"
cp "$orig" "$SUB/packagecache/$srtp_file"
# libsrtp ships its own meson.build upstream, so a wrapdb patch is never needed; drop any
# patch_* lines so meson does not try to download one.
sed -i -E '/^patch_(url|filename|hash) *=/d' "$LIBSRTP_WRAP"

# --- 4. Configure + build (same options as mediasoup's Makefile for Release builds) -------
log "configuring"
(cd "$W" && meson setup build --buildtype=release -Db_ndebug=true -Db_pie=true -Db_staticpic=true \
  --wrap-mode=nodownload >&2)
log "compiling with $JOBS jobs (takes a few minutes)"
ninja -C "$W/build" -j "$JOBS" mediasoup-worker >&2

# --- 5. Sanity check + install into the cache --------------------------------------------
if ldd "$W/build/mediasoup-worker" | grep -q 'not found'; then die "binary has unresolved shared libraries"; fi
# Without its channel fds the worker prints an error and exits non-zero; it must not crash.
out="$(MEDIASOUP_VERSION="$VERSION" timeout 10 "$W/build/mediasoup-worker" 2>&1 || true)"
[ -n "$out" ] || die "mediasoup-worker printed nothing when run without a channel"
mkdir -p "$OUT_DIR"
install -m 755 "$W/build/mediasoup-worker" "$BIN.tmp.$$"
mv -f "$BIN.tmp.$$" "$BIN"
log "built in $((SECONDS - START)) s"
echo "$BIN"
