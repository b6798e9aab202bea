# cases.sh - named cases for the shell tests, sourced: `case_run NAME CMD...`
# passes when CMD exits 0 (its output is shown only on failure), `case_skip
# NAME WHY`, and `case_summary` prints "N passed, N failed, N skipped" and
# returns non-zero on any failure.
case_passed=0 case_failed=0 case_skipped=0

case_run() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "PASS $name"
    case_passed=$((case_passed + 1))
  else
    echo "FAIL $name: $*"
    printf '%s\n' "$out" | tail -n 30 | sed 's/^/  /'
    case_failed=$((case_failed + 1))
  fi
}

case_skip() {
  echo "SKIP $1: $2"
  case_skipped=$((case_skipped + 1))
}

case_summary() {
  echo "$case_passed passed, $case_failed failed, $case_skipped skipped"
  [ "$case_failed" -eq 0 ]
}
