package browserusetest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
)

// InProcess returns a transport that serves each request in the calling
// goroutine, with no network in between: the fake's checks, knobs and
// scripted replies apply as over the network. Its point is
// testing/synctest: a client on it runs inside a synctest bubble, where
// SetLatency, SetRefusalLatency and the client's own waits pass in virtual
// time, so a test of minutes of skills takes milliseconds and does not
// depend on the machine's load. Create the Server outside the bubble (its
// listener would keep the bubble from ever going idle) and the client
// inside it:
//
//	srv := browserusetest.New(t)
//	synctest.Test(t, func(t *testing.T) {
//		c, _ := srv.Client(browseruse.WithHTTPClient(&http.Client{Transport: srv.InProcess()}))
//		...
//	})
//
// A [Reply.Handler] that needs a connection (to hijack or drop it) is not
// supported in process.
func (s *Server) InProcess() http.RoundTripper { return inProcess{s} }

type inProcess struct{ s *Server }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	in := req.Clone(req.Context())
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.RequestURI = req.URL.RequestURI()
	rec := httptest.NewRecorder()
	t.s.serve(rec, in)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}
