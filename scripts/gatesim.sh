#!/usr/bin/env bash
# Prints the tables of issues 20 and 24 ("Running many skills" in the
# README): each scenario played through real clients on browserusetest's
# fake in virtual time (internal/gatesim, testing/synctest), with this
# client as of BEFORE (default: main before the ramp) and as of the working
# tree, side by side. Virtual time: the machine's load does not move the
# figures; only the order in which goroutines run at one instant does, a
# little (REPEAT=n runs each n times). The grid of every plan and skill
# length (4 and 16 calls per session) is measured for the working tree only.
#   RTTS=30ms,300ms   refusal round trips for the whole-plan tables
#   QUEUE=1           a fake that holds a call up to the round trip before refusing
#   RUNS=n            runs of each plan for the spread of two batches' shares (default 20)
#   PLANS=10:500ms,.. the plan:skill rows of the table of many starting points
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
BEFORE=${BEFORE:-43b4b4e}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/before"
git archive "$BEFORE" | tar -x -C "$tmp/before"
# The harness and the fake of the working tree drive the old client too:
# they use only API it has.
rm -rf "$tmp/before/internal/gatesim" "$tmp/before/browserusetest"
mkdir -p "$tmp/before/internal"
cp -r internal/gatesim "$tmp/before/internal/"
rm "$tmp/before/internal/gatesim/table_now_test.go" # this client's API only
cp -r browserusetest "$tmp/before/"

table() { # DIR TEST PATTERN: the table's rows that match, one per line
	local out
	if ! out=$(cd "$1" && GATESIM_TABLE=1 GATESIM_RTTS="${RTTS:-30ms}" GATESIM_QUEUE="${QUEUE:-}" GATESIM_RUNS="${RUNS:-20}" GATESIM_PLANS="${PLANS:-}" GATESIM_ROUNDS="${ROUNDS:-4}" \
		$GO test -count=1 -timeout 30m -run "^$2\$" -v ./internal/gatesim 2>&1); then
		echo "$out" >&2
		exit 1
	fi
	grep "$3" <<<"$out"
}

for _ in $(seq "${REPEAT:-1}"); do
	echo "Whole plan (issue 20): before ($BEFORE) | after (working tree)"
	echo "| plan limit | skill latency | refusal RTT | calls | batch concurrency | before: time vs ideal, refusals, lost | after: time vs ideal, refusals, lost, most at the server |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	paste -d'\n' <(table "$tmp/before" TestTable_WholePlan '^| [0-9]') <(table . TestTable_WholePlan '^| [0-9]') |
		awk -F' *\\| *' 'NR%2==1 {b=$7", "$8", "$9; next} {printf "| %s | %s | %s | %s | %s | %s | %s, %s, %s, %s |\n", $2,$3,$4,$5,$6, b, $7,$8,$9,$10}'
	for rounds in 4 16; do
		echo
		echo "Every plan, every skill (issue 20): the working tree, a lone batch of $rounds calls per session; time vs ideal, refusals/calls; * past 1.10x or 1 in 8"
		ROUNDS=$rounds table . TestTable_PlanGrid '^| '
	done
	echo
	echo "Sharing (issue 24): before ($BEFORE), then after (working tree)"
	echo "| scenario | measure | value |"
	echo "| --- | --- | --- |"
	table "$tmp/before" TestTable_Sharing '^| plan' | sed 's/^| /| before: /'
	table . TestTable_Sharing '^| plan' | sed 's/^| /| after: /'
	echo
	echo "Two batches, a third each (issue 24): the working tree, ${RUNS:-20} runs of each plan, refusals of ${RTTS:-30ms} (the first)"
	echo "| plan | skill latency | runs | a third each after (skill durations): median, 99th percentile, most | shorter ended first | all vs ideal | the second's refusals: in all, most in a second |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	table . TestTable_TwoBatchesTakeAThirdEach '^| [0-9]'
	echo
	echo "Two batches from many starting points (issue 24): the working tree, ${RUNS:-20} starts of each plan, the second 71 ms later each time (modulo a second), refusals of each of ${RTTS:-30ms}"
	echo "| refusals | plan | skill latency | runs | a third each after (skill durations): median, 90th percentile, most | never | within 4, within 8 | shorter ended first | all vs ideal | the second's refusals: in all, most in a second | the first's from the second's start |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	table . TestTable_TwoBatchesFromManyStarts '^| [0-9]'
	echo
	echo "Services calling back to back beside a batch (issue 24): the working tree, ${RUNS:-20} runs, refusals of ${RTTS:-30ms} (the first)"
	echo "| plan | skill latency | services | batch's end vs its ideal alone | services' share of the plan | services' longest wait | batch's refusals: in all, most in a second |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	PLANS= table . TestTable_ServicesBesideABatch '^| [0-9]'
	echo
	echo "Plans of 500 and 1,000 (issue 24): the working tree"
	echo "| plan | skill latency | single call's longest wait (bound: 2 x skill + 0.5 s) | two batches: a third each after (skill durations); shorter first; all vs ideal | alone: time with sharing / WithoutSharing |"
	echo "| --- | --- | --- | --- | --- |"
	table . TestTable_SharingLargePlans '^| [0-9]'
done
