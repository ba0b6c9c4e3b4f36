package main

import (
	"strings"
)

// goOptionHints maps the library's pointers to its Go options, which a
// shell user cannot set, to what they mean at the command line.
var goOptionHints = strings.NewReplacer(
	" (see WithTimeout)", " (the client's limit on one attempt)",
	" (see WithMaxResponseBytes)", " (the client's limit on a response)",
	" (see WithMaxSlotWait)", "",
	" (use https, or WithInsecureHTTP to insist)", " (use https)",
	"; use WithAPIKey", "; put the key in BROWSER_USE_API_KEY",
)

// inShellTerms is a library error's text as a shell user needs it: one
// "browseruse: " at most (each layer of the library adds its own), and no
// Go option a shell user cannot set.
func inShellTerms(err error) string {
	msg := strings.ReplaceAll(err.Error(), ": browseruse: ", ": ")
	return goOptionHints.Replace(msg)
}

// errText is err as the command prints it after its own "browseruse: ":
// in shell terms, without the library's prefix, and escaped, since server
// text in it goes to a terminal.
func errText(err error) string {
	return escapeText(strings.TrimPrefix(inShellTerms(err), "browseruse: "))
}
