// Package browseruse is the Go client for the Browser Use API: it runs
// Browser Use skills (a website interaction turned into a callable endpoint)
// and returns their results.
//
// # Quickstart
//
//	c, err := browseruse.New() // key from $BROWSER_USE_API_KEY
//	if err != nil {
//		log.Fatal(err)
//	}
//	res, err := c.ExecuteSkill(ctx, skillID, browseruse.ExecuteSkillRequest{
//		Parameters: map[string]any{"X": 10},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	var out MyResult
//	err = res.Decode(&out)
//
// [ExecuteSkillAs] decodes the result straight into a type of yours during
// the call. Every other operation of the API is reachable through
// [Client.API], the client generated from the OpenAPI spec, which sends
// through the same policy.
//
// # Errors
//
// Every call returns either its documented success payload or an error. An
// HTTP failure is an [*APIError]; match its class with [errors.Is] and
// [ErrNotFound], [ErrInsufficientCredits], [ErrValidation] and the other
// sentinels. A skill that ran and failed is a [*SkillError], matching
// [ErrSkillFailed].
//
// # Testing
//
// Package browserusetest runs a fake of the API that checks requests and
// replies against the spec; point a client at it with its Client method.
package browseruse
