package browseruse

import (
	"encoding/json"

	gojson "github.com/goccy/go-json"
)

// unmarshalJSON is json.Unmarshal from encoding/json, about six times faster
// on a large result: what ExecuteSkillAs and SkillResult.Decode decode with
// unless WithJSONUnmarshal gives another decoder.
//
// goccy/go-json decodes first. Wherever it succeeds it gives encoding/json's
// value, which FuzzDecodeMatchesEncodingJSON holds it to (invalid UTF-8,
// duplicate and case-folded names, ,string, Unmarshalers, embedding, number
// ranges, values already filled). Its errors differ, and it refuses a few
// inputs that encoding/json takes (a float32 at its very maximum): on any
// error or panic, encoding/json decodes again and has the last word, so the
// caller sees exactly its value and error. A document that fails costs two
// decodes; a call that fails that way is rare.
func unmarshalJSON(data []byte, v any) (err error) {
	defer func() {
		if recover() != nil {
			err = json.Unmarshal(data, v)
		}
	}()
	if gojson.Unmarshal(data, v) != nil {
		return json.Unmarshal(data, v)
	}
	return nil
}
