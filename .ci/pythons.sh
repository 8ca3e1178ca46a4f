#!/usr/bin/env bash
# The interpreters the test matrix runs on: prints one line per version,
#
#     3.10 /root/.pyenv/versions/3.10.13/bin/python3.10
#     ...
#     3.15 /root/.cache/mpfix-pythons/3.15/usr/bin/python3.15
#
# A version is taken, in this order, from MPFIX_PYTHON_3_14 (say) when set, from pyenv
# ($PYENV_ROOT/versions/3.14.*, the newest patch release), from pythonX.Y on PATH, and
# else from Debian's unstable suite ("sid"): its pythonX.Y packages and the libraries they
# need are downloaded with a private apt configuration (nothing under /etc/apt changes)
# from the mirror this machine's apt already uses, unpacked into the cache folder
# ${MPFIX_PYTHONS:-$HOME/.cache/mpfix-pythons}/X.Y and pointed at their own loader and
# libraries with patchelf. Once unpacked, a version is used from the cache without any
# download.
#
# Usage: .ci/pythons.sh [--refresh] [--no-provision] [VERSION ...]
#   VERSION         3.10 ... 3.15 (default: all of them)
#   --refresh       download the unpacked (Debian) versions asked for again, to follow sid
#   --no-provision  print only the versions at hand; download nothing
# Exits 1, with a one-line error per version on stderr, when a version cannot be had
# (the lines of the versions found are still printed).
set -euo pipefail

ALL_VERSIONS=(3.10 3.11 3.12 3.13 3.14 3.15)
CACHE=${MPFIX_PYTHONS:-$HOME/.cache/mpfix-pythons}
SUITE=${MPFIX_DEBIAN_SUITE:-sid}
# Packages of the dependency closure that an unpacked interpreter does without: data and
# configuration (time zones, MIME types, /etc/services, debconf), all read from the host.
SKIP_PACKAGES=" debconf cdebconf tzdata netbase media-types mime-support readline-common "

me=$(basename "$0")
log() { printf '%s: %s\n' "$me" "$*" >&2; }

refresh=0
provision=1
versions=()
for arg in "$@"; do
    case $arg in
        --refresh) refresh=1 ;;
        --no-provision) provision=0 ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        3.[0-9] | 3.[0-9][0-9]) versions+=("$arg") ;;
        *) log "unknown argument '$arg' (versions look like 3.14)"; exit 2 ;;
    esac
done
[ ${#versions[@]} -gt 0 ] || versions=("${ALL_VERSIONS[@]}")

# Prints "X.Y" when $1 is an interpreter that runs and is that version, else fails.
runs_as() {
    local found
    found=$(timeout 60 "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || return 1
    [ "$found" = "$2" ]
}

# An interpreter already on this machine, or nothing.
local_python() {
    local version=$1 candidate
    # pyenv's own builds, newest patch release first (its shims are not used).
    local root=${PYENV_ROOT:-$HOME/.pyenv}
    while read -r candidate; do
        [ -n "$candidate" ] || continue
        if runs_as "$candidate" "$version"; then echo "$candidate"; return 0; fi
    done < <(
        for dir in "$root"/versions/"$version".*; do
            [[ $(basename "$dir") =~ ^${version//./\\.}\.[0-9]+$ ]] && echo "$dir/bin/python$version"
        done | sort -V -r
    )
    # Then whatever pythonX.Y is on PATH (a failing pyenv shim is skipped by runs_as).
    while read -r candidate; do
        case $candidate in "$CACHE"/*) continue ;; esac
        if runs_as "$candidate" "$version"; then echo "$candidate"; return 0; fi
    done < <(type -ap "python$version" 2>/dev/null || true)
    return 1
}

# Where an unpacked version's interpreter lives, and the marker of a complete unpacking.
unpacked_python() { echo "$CACHE/$1/usr/bin/python$1"; }
unpacked_marker() { echo "$CACHE/$1/.complete"; }

# --- The private apt configuration ----------------------------------------------------

APT_DIR="$CACHE/apt"
apt_options() {
    local arch
    arch=$(dpkg --print-architecture)
    APT_OPTS=(
        -o "Dir::Etc::sourcelist=$APT_DIR/sources.list"
        -o "Dir::Etc::sourceparts=-"
        -o "Dir::Etc::preferences=$APT_DIR/preferences"
        -o "Dir::Etc::preferencesparts=$APT_DIR/preferences.d"
        -o "Dir::State=$APT_DIR/state"
        -o "Dir::State::Lists=$APT_DIR/state/lists"
        -o "Dir::State::status=/dev/null"
        -o "Dir::State::extended_states=$APT_DIR/state/extended_states"
        -o "Dir::Cache=$APT_DIR/cache"
        -o "Dir::Cache::pkgcache="
        -o "Dir::Cache::srcpkgcache="
        -o "APT::Architecture=$arch"
        -o "APT::Architectures=$arch"
        -o "APT::Sandbox::User=$(id -un)"
        -o "Acquire::Languages=none"
        -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
    )
}

# The Debian mirror this machine's apt already uses (its main suite, not security).
debian_mirror() {
    if [ -n "${MPFIX_DEBIAN_MIRROR:-}" ]; then echo "$MPFIX_DEBIAN_MIRROR"; return 0; fi
    local codename="" targets uri
    codename=$( (. /etc/os-release && echo "${VERSION_CODENAME:-}") 2>/dev/null || true)
    targets=$(apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE) $(TARGET_OF)' \
        'Created-By: Packages' 2>/dev/null | awk '$3 == "deb" && $1 !~ /security/ && $2 !~ /security/' | sort -u)
    uri=$(awk -v c="$codename" 'c != "" && $2 == c {print $1; exit}' <<<"$targets")
    [ -n "$uri" ] || uri=$(awk '$1 ~ /debian/ {print $1; exit}' <<<"$targets")
    [ -n "$uri" ] || return 1
    echo "$uri"
}

apt_setup_done=0
apt_setup() {
    [ $apt_setup_done = 0 ] || return 0
    local tool mirror signed=""
    for tool in apt-get apt-cache dpkg dpkg-deb; do
        command -v "$tool" >/dev/null || { log "$tool is missing: unpacking Debian's Python needs a Debian-like system"; return 1; }
    done
    mirror=$(debian_mirror) || { log "no Debian mirror found in this machine's apt sources (set MPFIX_DEBIAN_MIRROR)"; return 1; }
    [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] && signed=" [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
    mkdir -p "$APT_DIR/state/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/preferences.d"
    echo "deb$signed $mirror $SUITE main" >"$APT_DIR/sources.list"
    apt_options
    log "reading the package lists of $mirror $SUITE"
    local failed='^(E: |W: (Failed|GPG error|Some index))'
    if ! apt-get "${APT_OPTS[@]}" -q update >"$APT_DIR/update.log" 2>&1 || grep -Eq "$failed" "$APT_DIR/update.log"; then
        log "apt-get update of $mirror $SUITE failed: $(grep -Em1 "$failed" "$APT_DIR/update.log" || tail -n1 "$APT_DIR/update.log")"
        return 1
    fi
    apt_setup_done=1
}

# The packages pythonX.Y needs to run, found by following Depends and Pre-Depends from it
# (so the names, t64 suffixes and all, are whatever sid has today).
package_closure() {
    local -A seen=()
    local frontier=("python$1") next name
    seen["python$1"]=1
    while [ ${#frontier[@]} -gt 0 ]; do
        next=()
        while read -r name; do
            [ -n "$name" ] && [ -z "${seen[$name]:-}" ] || continue
            [[ $SKIP_PACKAGES == *" $name "* ]] && continue
            seen[$name]=1
            next+=("$name")
        done < <(apt-cache "${APT_OPTS[@]}" depends --no-recommends --no-suggests --no-conflicts \
            --no-breaks --no-replaces --no-enhances "${frontier[@]}" 2>/dev/null |
            awk '$1 ~ /^\|?(Pre)?Depends:$/ && $2 !~ /^</ {print $2}')
        frontier=("${next[@]+"${next[@]}"}")
    done
    printf '%s\n' "${!seen[@]}" | sort
}

# Downloads and unpacks pythonX.Y. Called in a condition, where set -e does not hold: every
# step that can fail says so itself.
provision() {
    local version=$1 root="$CACHE/$1" work="$CACHE/.download-$1" python libc libdir loader deb check
    local packages=()
    apt_setup || return 1
    if ! apt-cache "${APT_OPTS[@]}" show "python$version" >/dev/null 2>&1; then
        log "$version: not on this machine, and Debian's $SUITE has no python$version package"
        return 1
    fi
    mapfile -t packages < <(package_closure "$version")
    log "$version: downloading ${#packages[@]} packages from Debian's $SUITE"
    rm -rf "$work" && mkdir -p "$work" || return 1
    if ! (cd "$work" && apt-get "${APT_OPTS[@]}" -q download "${packages[@]}") >"$work/download.log" 2>&1; then
        log "$version: apt-get download failed: $(grep -m1 '^E: ' "$work/download.log" || tail -n1 "$work/download.log")"
        return 1
    fi
    rm -rf "$root" && mkdir -p "$root" || return 1
    for deb in "$work"/*.deb; do
        dpkg-deb -x "$deb" "$root" || { log "$version: cannot unpack $(basename "$deb")"; return 1; }
    done
    python=$(unpacked_python "$version")
    libc=$(find "$root/usr/lib" -mindepth 2 -maxdepth 2 -name libc.so.6 | head -n1)
    [ -n "$libc" ] && [ -x "$python" ] || { log "$version: the packages hold no python$version or no libc.so.6"; return 1; }
    libdir=$(dirname "$libc")
    loader="$libdir/$(basename "$(patchelf --print-interpreter "$python")")"
    [ -e "$loader" ] || { log "$version: the unpacked libc6 has no loader $(basename "$loader")"; return 1; }
    if ! patchelf --set-interpreter "$loader" --force-rpath --set-rpath "$libdir" "$python"; then
        log "$version: patchelf failed on $python"
        return 1
    fi
    # It must run on its own standard library and libraries, with the modules the tests use.
    if ! check=$("$python" -c '
import sys, os, ssl, sqlite3, ctypes, lzma, bz2, zlib, multiprocessing, venv
assert os.__file__.startswith(sys.argv[1]), os.__file__
print(sys.version.split()[0])' "$root" 2>&1); then
        log "$version: the unpacked interpreter does not work: $(tail -n1 <<<"$check")"
        return 1
    fi
    (cd "$work" && ls -- *.deb) >"$(unpacked_marker "$version")" || return 1
    rm -rf "$work"
    log "$version: Python $check unpacked in $root"
}

need_patchelf() {
    command -v patchelf >/dev/null && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing patchelf (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q patchelf >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q patchelf >/dev/null 2>&1; } || true
    fi
    command -v patchelf >/dev/null || { log "patchelf is needed to unpack Debian's Python (apt-get install patchelf)"; return 1; }
}

# --- Main -----------------------------------------------------------------------------

status=0
locked=0
for version in "${versions[@]}"; do
    override="MPFIX_PYTHON_${version//./_}"
    if [ -n "${!override:-}" ]; then
        if runs_as "${!override}" "$version"; then
            echo "$version ${!override}"
        else
            log "$version: $override=${!override} is not a working Python $version"
            status=1
        fi
        continue
    fi
    if python=$(local_python "$version"); then
        echo "$version $python"
        continue
    fi
    python=$(unpacked_python "$version")
    if [ $refresh = 0 ] && [ -e "$(unpacked_marker "$version")" ] && runs_as "$python" "$version"; then
        echo "$version $python"
        continue
    fi
    if [ $provision = 0 ]; then
        log "$version: not found (run $me $version to download it)"
        status=1
        continue
    fi
    mkdir -p "$CACHE"
    if [ $locked = 0 ] && command -v flock >/dev/null; then
        # One download at a time into the cache; a second caller waits, then finds it done.
        exec 9>"$CACHE/.lock"
        flock 9
        locked=1
        if [ $refresh = 0 ] && [ -e "$(unpacked_marker "$version")" ] && runs_as "$python" "$version"; then
            echo "$version $python"
            continue
        fi
    fi
    if need_patchelf && provision "$version"; then
        echo "$version $python"
    else
        status=1
    fi
done
exit $status
