// Package contract holds the contract suite: it runs the real client against
// Stoplight Prism mocking the vendored spec, for every operation and every
// status the spec documents, and checks that each call returns the
// documented success payload or the error the README promises. The same
// checks run against the in-process fake (browserusetest), with replies
// built from the spec, so the fake cannot drift from the spec either.
//
// The suite reads the operations from the spec at test time, so it covers a
// newer spec with no edits here. The Prism tests need a running Prism:
// `make contract` starts one and sets PRISM_URL. Without it they skip,
// except when CI=true, where a contract suite that did not run is a failure.
package contract
