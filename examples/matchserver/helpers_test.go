package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// newLoopbackServer serves s on a loopback listener and returns its base
// URL.
func newLoopbackServer(t testing.TB, s *server) string {
	t.Helper()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

func stringsReader(s string) io.Reader {
	if s == "" {
		return http.NoBody
	}
	return strings.NewReader(s)
}

func readAll(resp *http.Response) ([]byte, error) { return io.ReadAll(resp.Body) }
