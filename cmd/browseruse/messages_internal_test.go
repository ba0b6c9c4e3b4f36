package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// The library's errors the command can meet, as the command words them:
// no Go option a shell user cannot set, and no "browseruse:" left.
func TestErrText_SpeaksInShellTerms(t *testing.T) {
	t.Parallel()
	skillID := uuid.MustParse(skill)
	hang := browserusetest.Reply{Handler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }}
	call := func(t *testing.T, srv *browserusetest.Server, opts ...browseruse.Option) error {
		c, err := srv.Client(opts...)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		_, err = c.ExecuteSkill(ctx, skillID, browseruse.ExecuteSkillRequest{Parameters: map[string]any{"X": 1}})
		return err
	}
	cases := map[string]func(t *testing.T) error{
		"cleartext base URL": func(t *testing.T) error {
			_, err := browseruse.New(browseruse.WithAPIKey("k"), browseruse.WithBaseURL("http://api.example.com"))
			return err
		},
		"credentials in the base URL": func(t *testing.T) error {
			_, err := browseruse.New(browseruse.WithAPIKey("k"), browseruse.WithBaseURL("https://u:p@api.example.com"))
			return err
		},
		"response too large": func(t *testing.T) error {
			return call(t, browserusetest.New(t), browseruse.WithMaxResponseBytes(16))
		},
		"attempt timed out": func(t *testing.T) error {
			srv := browserusetest.New(t)
			srv.Enqueue(hang, hang, hang)
			return call(t, srv, browseruse.WithTimeout(50*time.Millisecond), browseruse.WithMaxRetries(0))
		},
		"no session slot": func(t *testing.T) error {
			srv := browserusetest.New(t)
			srv.SetConcurrencyLimit(1)
			defer srv.HoldSessions(1)()
			return call(t, srv, browseruse.WithMaxSlotWait(300*time.Millisecond))
		},
	}
	for name, makeErr := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := makeErr(t)
			if err == nil {
				t.Fatal("no error")
			}
			got := errText(err)
			if m := goOption.FindString(got); m != "" || strings.Contains(got, "browseruse:") {
				t.Errorf("%q\nbecomes %q", err, got)
			}
		})
	}
}
