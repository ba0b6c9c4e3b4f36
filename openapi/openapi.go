// Package openapi embeds the vendored Browser Use API spec, so the client can
// derive its per-operation rules from it and the fake server can validate
// against it, without either reading files at run time.
package openapi

import _ "embed"

// V2 is openapi/v2.json exactly as vendored from upstream.
//
//go:embed v2.json
var V2 []byte
