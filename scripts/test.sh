#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test:
#   1. unit + integration tests (CTest) on the release build,
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. the end-to-end browser tests (headless Chromium via playwright-core),
#   4. libFuzzer on the network parsers (STUN/ChannelData, RTP/RTCP, SDP, the
#      media-port demultiplexer), briefly.
# Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

scripts/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
status=0

# Adds the counts of a CTest log ("N% tests passed, F tests failed out of T").
count_ctest() {
  local line total bad
  line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$1" | tail -n1)
  if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
  bad=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/')
  total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
  passed=$((passed + total - bad))
  failed=$((failed + bad))
}

run_suite() {  # name, build kind, build dir
  local name="$1" kind="$2" dir="$3" log="/tmp/parley-ctest-$2.log"
  echo "== $name: build"
  if ! scripts/build.sh "$kind"; then
    echo "$name: build failed"; failed=$((failed + 1)); status=1; return
  fi
  echo "== $name: ctest"
  (cd "$dir" && ctest --output-on-failure --timeout 300 -j2) 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  count_ctest "$log"
}

run_suite "release" release build
run_suite "asan+ubsan" asan build-asan

if [ -f tests/e2e/package.json ]; then
  echo "== end-to-end (Chromium)"
  log=/tmp/parley-e2e.log
  (cd tests/e2e && PARLEY_BIN="$PWD/../../build/src/app/parley" node --test --test-concurrency=1 --test-reporter=tap) 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  p=$(grep -E "^# pass [0-9]+" "$log" | tail -n1 | awk '{print $3}')
  f=$(grep -E "^# fail [0-9]+" "$log" | tail -n1 | awk '{print $3}')
  if [ -z "$p" ]; then failed=$((failed + 1)); else passed=$((passed + p)); failed=$((failed + ${f:-0})); fi
fi

# Coverage-guided fuzzing for a short, fixed time per target: a crash fails
# the run and leaves its input in build-fuzz/ for the next session.
echo "== fuzz (libFuzzer, ${PARLEY_FUZZ_SECONDS:-20} s per target)"
if cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
     -DPARLEY_BENCH=OFF >/dev/null && cmake --build build-fuzz -j"$(nproc)" --target stun_fuzz rtp_fuzz sdp_fuzz demux_fuzz; then
  for target in stun_fuzz:fuzz/corpus/stun rtp_fuzz:fuzz/rtp/corpus sdp_fuzz:fuzz/sdp/corpus \
                demux_fuzz:fuzz/rtc/corpus; do
    bin="build-fuzz/fuzz/${target%%:*}" seeds="${target#*:}" work="$(mktemp -d)"
    if (cd build-fuzz && "../$bin" -max_total_time="${PARLEY_FUZZ_SECONDS:-20}" -print_final_stats=1 \
          "$work" "../$seeds" 2>&1 | tail -n 3); then
      passed=$((passed + 1))
    else
      echo "$bin found a crash"; failed=$((failed + 1)); status=1
    fi
    rm -rf "$work"
  done
else
  echo "fuzz build failed"; failed=$((failed + 1)); status=1
fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
