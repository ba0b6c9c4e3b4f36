package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/browser-use/browseruse-go"
)

// record is one line of a batch's output: the outcome of one input line.
// Resume counts the ok records of each inputSha256, and refuses records of
// another skillId or sessionId; the rest is for the user.
type record struct {
	Line        int             `json:"line"`
	InputSha256 string          `json:"inputSha256"`
	SkillID     string          `json:"skillId"`
	SessionID   string          `json:"sessionId,omitempty"` // --session, when given
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result,omitempty"`
	Error       string          `json:"error,omitempty"`
	Status      int             `json:"status,omitempty"` // the HTTP status of the last answer; none: no answer
	LatencyMs   *int            `json:"latencyMs,omitempty"`
	Stderr      string          `json:"stderr,omitempty"`
	Attempts    int             `json:"attempts"`
	DurationMs  int64           `json:"durationMs"`
}

// inputLine is one non-blank line of the batch input.
type inputLine struct {
	n      int               // 1-based line number
	sum    [sha256.Size]byte // SHA-256 of the line, without its line end
	params map[string]any
	bad    string // why the line is not sent; "" for a JSON object
}

// hash is the line's inputSha256.
func (l inputLine) hash() string { return hex.EncodeToString(l.sum[:]) }

// utf8BOM is the byte order mark some editors on Windows start a UTF-8
// file with: no part of its JSON (--params-json, a --batch first line).
const utf8BOM = "\uFEFF"

// lineText is the text of line n of the batch input, raw with or without
// its line end, as its hash covers it; ok is false for a blank line.
func lineText(n int, raw []byte) (text []byte, ok bool) {
	raw = bytes.TrimSuffix(raw, []byte("\n"))
	raw = bytes.TrimSuffix(raw, []byte("\r"))
	if n == 1 {
		raw = bytes.TrimPrefix(raw, []byte(utf8BOM))
	}
	return raw, len(bytes.TrimSpace(raw)) > 0
}

// parseLine parses line n of the batch input, raw with or without its line
// end; ok is false for a blank line. A line that is not one JSON object is
// kept with the reason, to be recorded as failed.
func parseLine(n int, raw []byte) (l inputLine, ok bool) {
	raw, ok = lineText(n, raw)
	if !ok {
		return inputLine{}, false
	}
	l = inputLine{n: n, sum: sha256.Sum256(raw)}
	if len(raw) > maxParamsBytes {
		l.bad = "not sent: the line is over " + maxParamsText + ", the most the command sends as parameters"
		return l, true
	}
	v, err := decodeJSON(raw)
	switch obj, ok := v.(map[string]any); {
	case err != nil:
		// One line: its column is the news, not "line 1".
		l.bad = "not sent: the line is not valid JSON: " + strings.TrimPrefix(jsonErrorAt(raw, err), "line 1, ")
	case !ok:
		l.bad = fmt.Sprintf("not sent: the line holds %s, want a JSON object of parameters such as {\"X\": 10}", jsonKind(v))
	default:
		l.params = obj
	}
	return l, true
}

// recordFor turns one result of the batch into its record.
func recordFor(l inputLine, r browseruse.BatchResult) record {
	rec := record{Line: l.n, InputSha256: l.hash(), Attempts: r.Attempts, DurationMs: r.Duration.Milliseconds()}
	var (
		skillErr *browseruse.SkillError
		apiErr   *browseruse.APIError
	)
	switch {
	case r.Err == nil:
		rec.OK, rec.Status = true, 200
		rec.Result = r.Result.Result
		if len(rec.Result) == 0 {
			rec.Result = json.RawMessage("null")
		}
		rec.LatencyMs, rec.Stderr = &r.Result.LatencyMs, r.Result.Stderr
		return rec
	case errors.As(r.Err, &skillErr):
		rec.Status = 200 // the skill ran and said it failed
		if len(skillErr.Result) > 0 {
			rec.Result = skillErr.Result
		}
		rec.LatencyMs, rec.Stderr = &skillErr.LatencyMs, skillErr.Stderr
	case errors.As(r.Err, &apiErr):
		rec.Status = apiErr.StatusCode
	}
	rec.Error = inShellTerms(r.Err)
	return rec
}

// encodeRecord is the record as one line, ready for a single write: a
// process killed mid-write can then tear only the record being written.
// Escaped as escapeJSON does, since stdout may be a terminal: a record
// means the same to a JSON reader.
func encodeRecord(rec record) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // results often hold HTML; \u003c would only obscure it
	if err := enc.Encode(rec); err != nil {
		// Result is JSON the client checked; an error here is a bug, and
		// the record still has to say what happened.
		rec.Result, rec.Error = nil, fmt.Sprintf("%s (result not recorded: %v)", rec.Error, err)
		b.Reset()
		_ = enc.Encode(rec)
	}
	return escapeJSON(b.Bytes())
}

// errNotRecords is a --out that holds something other than batch records:
// appending to it, or taking its lines as done, would be wrong.
var errNotRecords = errors.New("holds lines that are not batch records")

// runKey is what the records of one batch share: an ok record means the
// input is done only for the same skill, run in the same session.
type runKey struct {
	skill, session string
}

func (k runKey) String() string {
	s := "skill " + k.skill
	if k.session == "" {
		return s + " without --session"
	}
	return s + " in session " + k.session
}

// errOtherRun is a --out whose records are another batch's.
var errOtherRun = errors.New("holds records of another batch")

// scanRecords reads the records already in f, a --out being resumed, and
// counts the ok ones by input hash. Records of another skill or session
// are refused (errOtherRun): taken as done, they would leave this run's
// inputs never run. A last line without its newline is a record whose
// write was interrupted or failed, or one whose newline alone was lost (an
// editor that strips it): a whole record is kept and given its newline
// back; anything else is a partial record, cut off (torn reports its
// size), and its input line runs again.
func scanRecords(f *os.File, key runKey) (ok okRuns, torn int64, err error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return okRuns{}, 0, err
	}
	var sums [][sha256.Size]byte // of the ok records
	r := bufio.NewReaderSize(f, 64<<10)
	var off int64
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return okRuns{}, 0, err
		}
		if len(line) == 0 {
			return okRunsOf(sums), 0, nil
		}
		rec, perr := parseRecord(line, n, key)
		last := err == io.EOF // no newline after it
		switch {
		case last && errors.Is(perr, errNotRecords): // a write interrupted part-way
			return okRunsOf(sums), int64(len(line)), f.Truncate(off)
		case perr != nil:
			return okRuns{}, 0, perr
		case last: // a whole record whose newline alone was lost
			if _, err := f.Write([]byte("\n")); err != nil { // O_APPEND: at the end
				return okRuns{}, 0, err
			}
		}
		off += int64(len(line))
		if rec.OK {
			sums = append(sums, rec.sum)
		}
		if last {
			return okRunsOf(sums), 0, nil
		}
	}
}

// recordSeen is what resume reads of a record.
type recordSeen struct {
	Line        int    `json:"line"`
	InputSha256 string `json:"inputSha256"`
	SkillID     string `json:"skillId"`
	SessionID   string `json:"sessionId"`
	OK          bool   `json:"ok"`

	sum [sha256.Size]byte // InputSha256 decoded
}

// parseRecord reads line n of --out as a record of the run key.
func parseRecord(line []byte, n int, key runKey) (recordSeen, error) {
	var rec recordSeen
	if json.Unmarshal(line, &rec) != nil || rec.Line < 1 || len(rec.InputSha256) != 2*sha256.Size {
		return rec, fmt.Errorf("%w (line %d)", errNotRecords, n)
	}
	if _, err := hex.Decode(rec.sum[:], []byte(rec.InputSha256)); err != nil {
		return rec, fmt.Errorf("%w (line %d)", errNotRecords, n)
	}
	if rec.SkillID == "" {
		return rec, fmt.Errorf("%w: line %d names no skill (written by an older browseruse); give another --out", errOtherRun, n)
	}
	if got := (runKey{rec.SkillID, rec.SessionID}); got != key {
		return rec, fmt.Errorf("%w: line %d is of %v, this run is of %v; give another --out", errOtherRun, n, got, key)
	}
	return rec, nil
}
