package main

import (
	"bytes"
	"crypto/sha256"
	"slices"
)

// okRuns is what resume needs of --out: how many ok records each input
// hash has. The k-th line of the input holding some text is done when --out
// holds at least k ok records for it, whatever line numbers they carry: a
// line inserted higher up renumbers the ones below it without running them
// again, and a line edited and then edited back is not run twice.
//
// It is the one part of a batch's memory that grows with the batch, with
// what an earlier run got done: so it keeps the hashes as bytes, sorted
// (32 bytes an ok record, 4 more an input), not in a map of hex
// strings (about 150).
type okRuns struct {
	sums   [][sha256.Size]byte // sorted, each once
	counts []int32             // ok records of sums[i]
}

// okRunsOf counts sums, the hashes of the ok records in any order. It
// sorts sums in place and keeps its array.
func okRunsOf(sums [][sha256.Size]byte) okRuns {
	slices.SortFunc(sums, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	o := okRuns{sums: sums[:0]}
	for i, s := range sums {
		if i > 0 && s == sums[i-1] {
			o.counts[len(o.counts)-1]++
			continue
		}
		o.sums = append(o.sums, s) // over the entries already read
		o.counts = append(o.counts, 1)
	}
	return o
}

// okLeft is one reading of the input against okRuns: the ok records not
// yet matched to a line of it. Each reading has its own, over the same
// okRuns, so a count of the input ahead of the batch (batchReader) decides
// as the batch does.
type okLeft struct {
	runs okRuns
	used []int32 // ok records of runs.sums[i] matched so far
}

func (o okRuns) left() *okLeft {
	return &okLeft{runs: o, used: make([]int32, len(o.sums))}
}

// take matches the next line holding the input of hash sum to an ok
// record; false if every ok record of it is matched already: the line
// runs.
func (l *okLeft) take(sum [sha256.Size]byte) bool {
	i, found := slices.BinarySearchFunc(l.runs.sums, sum, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	if !found || l.used[i] == l.runs.counts[i] {
		return false
	}
	l.used[i]++
	return true
}
