package browseruse

// CloseIdleConnections closes the idle connections of the transport shared
// by clients built without WithHTTPClient, so a leak check sees only
// goroutines that really leaked.
func CloseIdleConnections() { defaultTransport().CloseIdleConnections() }

// Unsent is unsent, for tests of what proves a request unsent.
var Unsent = unsent
