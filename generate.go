package browseruse

// The generated client in gen/ comes from the vendored spec in openapi/, with
// names and Go types adjusted by the overlay in api/ so the spec stays as
// upstream publishes it. Run `go generate ./...` after replacing openapi/v2.json.
//go:generate go tool oapi-codegen -config api/config.yaml openapi/v2.json
