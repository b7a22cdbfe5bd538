package main

import (
	"context"
	"net/http"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
)

// A caller is who a request comes from: the token it presented, or, on a
// server without tokens, anyone.
type caller struct {
	name string // the actor recorded in the audit trail and the access log
	tok  *token // nil on a server without tokens
}

// anonymous is every caller of a server without tokens.
const anonymous = "anonymous"

// may reports whether the caller holds role.
func (c *caller) may(role string) bool {
	return c.tok == nil || role == roleAnyToken || c.tok.has(role)
}

// peer returns the partner organisation the caller's token speaks for, or
// "".
func (c *caller) peer() string {
	if c.tok == nil {
		return ""
	}
	return c.tok.peer
}

type callerKey struct{}

// callerOf returns the request's caller, set by authorize.
func callerOf(r *http.Request) *caller {
	if c, ok := r.Context().Value(callerKey{}).(*caller); ok {
		return c
	}
	return &caller{name: anonymous}
}

// authorize lets a request through to h only if it presents a token with
// the route's role: 401 without a valid token, 403 with one that lacks
// the role, both as the route's API writes errors. Without tokens every
// request passes. The caller, and its name for the access log, go on the
// request's context.
func (s *server) authorize(rt route, h http.Handler) http.Handler {
	a := apiOfPath(rt.path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &caller{name: anonymous}
		if s.cfg.Tokens != nil && rt.role != "" {
			secret, ok := bearer(r)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="matchserver"`)
				writeError(w, a, http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer <token>")
				return
			}
			t, ok := s.cfg.Tokens.find(secret)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="matchserver", error="invalid_token"`)
				writeError(w, a, http.StatusUnauthorized, "unknown bearer token")
				return
			}
			c = &caller{name: t.name, tok: t}
			if !c.may(rt.role) {
				noteActor(r, c.name)
				writeError(w, a, http.StatusForbidden, "token "+t.name+" lacks the "+rt.role+" role this route needs")
				return
			}
		}
		noteActor(r, c.name)
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// actorContext returns the request's context with its caller as the
// actor hashdb records in the change log.
func actorContext(r *http.Request) context.Context {
	return hashdb.WithActor(r.Context(), callerOf(r).name)
}
