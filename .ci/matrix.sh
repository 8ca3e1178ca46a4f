#!/usr/bin/env bash
# The test suite on every supported Python (noxfile.py's tests-X.Y sessions), one version
# after the other, then one line per version:
#
#     3.10  fast  passed  (893 passed in 95 s; session 101 s)
#     3.14  full  FAILED  (2 failed, 1410 passed, 12 skipped in 260 s; session 270 s)
#
# and a closing line with the sums over the versions (errors count as failures).
#
# Usage: .ci/matrix.sh [--full | --fast] [VERSION ...] [-- PYTEST_ARGS ...]
#   VERSION      3.10 ... 3.15 (default: all of them)
#   --full       the full suite on every version asked for (default: 3.11 and 3.14 full,
#   --fast       the others fast; MPFIX_SUITE=full|fast does the same as these two)
# Needs nox and uv (pip install nox uv): NOX, else .venv/bin/nox, else nox on PATH.
# Each version's output is also kept in .nox/logs/X.Y.log. Exits 1 if any version failed.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_VERSIONS=(3.10 3.11 3.12 3.13 3.14 3.15)
me=$(basename "$0")

suite=()
versions=()
pytest_args=()
while [ $# -gt 0 ]; do
    case $1 in
        --full | --fast) suite=("$1") ;;
        --) shift; pytest_args=("$@"); break ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        3.[0-9] | 3.[0-9][0-9]) versions+=("$1") ;;
        *) echo "$me: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
[ ${#versions[@]} -gt 0 ] || versions=("${ALL_VERSIONS[@]}")

nox=${NOX:-}
[ -n "$nox" ] || { [ -x .venv/bin/nox ] && nox=.venv/bin/nox; } || nox=$(command -v nox) ||
    { echo "$me: nox is needed (pip install nox uv)" >&2; exit 2; }

# Every interpreter first, downloaded if needs be: a version that cannot be had fails
# its own session below with the same message.
bash .ci/pythons.sh "${versions[@]}" || true

logs=.nox/logs
mkdir -p "$logs"
lines=()
status=0
declare -A total=([passed]=0 [failed]=0 [skipped]=0)
for version in "${versions[@]}"; do
    log="$logs/$version.log"
    began=$(date +%s)
    set +e
    "$nox" -s "tests-$version" -- "${suite[@]+"${suite[@]}"}" "${pytest_args[@]+"${pytest_args[@]}"}" 2>&1 | tee "$log"
    code=${PIPESTATUS[0]}
    set -e
    took=$(($(date +%s) - began))

    ran=$(sed -n 's/^nox > Python [^ ]* (.*), \(full\|fast\) suite$/\1/p' "$log" | tail -n1 || true)
    # pytest's closing line, "==== 1 failed, 892 passed, 4 warnings in 307.80s (0:05:07) ====".
    summary=$(grep -E '^=+ .* in [0-9.]+s( \([0-9:]+\))? =+$' "$log" | tail -n1 |
        sed -E 's/^=+ //; s/ =+$//; s/ \([0-9:]+\)$//; s/, [0-9]+ warnings?//' |
        awk '{ if (match($0, / in [0-9.]+s$/)) { s = substr($0, RSTART + 4, RLENGTH - 5); $0 = substr($0, 1, RSTART - 1) " in " int(s + 0.5) " s" } print }' || true)
    for kind in passed failed error errors skipped; do
        count=$(grep -oE "[0-9]+ $kind\b" <<<"$summary" | head -n1 | cut -d' ' -f1 || true)
        case $kind in error | errors) key=failed ;; *) key=$kind ;; esac
        total[$key]=$((total[$key] + ${count:-0}))
    done
    if [ -z "$summary" ]; then
        # No test ran: say why, from nox's own last words.
        summary=$(sed -n 's/^nox > //p' "$log" | grep -vE '^Session [^ ]+ failed\.$' | tail -n1 |
            sed -E 's/^Session [^ ]+ (aborted|failed): //; s/\.$//' || true)
        summary="no tests ran: ${summary:-see $log}"
    fi
    if [ "$code" = 0 ]; then result=passed; else result=FAILED; status=1; fi
    lines+=("$(printf '%-5s %-5s %-6s  (%s; session %d s)' "$version" "${ran:--}" "$result" "$summary" "$took")")
done

echo
echo "Test matrix:"
printf '%s\n' "${lines[@]}"
echo "total: ${total[passed]} passed, ${total[failed]} failed, ${total[skipped]} skipped"
exit $status
