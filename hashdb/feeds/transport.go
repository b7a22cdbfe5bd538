package feeds

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of [Transport].
const (
	DefaultTimeout    = 60 * time.Second
	DefaultMaxBody    = 64 << 20
	DefaultRetries    = 5
	DefaultBackoff    = 500 * time.Millisecond
	DefaultMaxBackoff = 2 * time.Minute
)

// A Transport is how a client speaks HTTP: over Client, with a timeout
// per request, retries with exponential backoff and jitter after network
// errors, truncated bodies and 5xx answers, 429 answers waited out as
// their Retry-After says, and a cap on the bytes of an answer. Its zero
// value takes every default.
type Transport struct {
	// Client sends the requests; nil is a client with the system's
	// roots. A client whose TLS configuration skips verification is
	// refused ([ErrInsecure]); to trust a private CA use [NewClient].
	Client *http.Client
	// Timeout bounds one request, answer read included.
	Timeout time.Duration
	// MaxBody bounds an answer's bytes; a longer one is [ErrTooLarge].
	MaxBody int64
	// Retries is how many times a failed request is tried again; a
	// negative value tries once.
	Retries int
	// Backoff is the wait before the first retry, doubled for each
	// next one up to MaxBackoff, each wait drawn at random between half
	// and all of it. MaxBackoff also bounds a Retry-After.
	Backoff, MaxBackoff time.Duration
}

// NewClient returns an HTTP client that verifies servers against the
// system's roots and the PEM certificates caPEM holds, for exchanges a
// private deployment serves under its own CA. There is no way to turn
// verification off.
func NewClient(caPEM []byte) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if len(caPEM) > 0 && !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("feeds: %w: no PEM certificate in the CA file", ErrInsecure)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}, nil
}

// request is one HTTP request a client makes. secrets are the values
// that must not appear in an error: tokens, passwords, keys.
type request struct {
	method  string
	url     string
	header  http.Header
	body    []byte
	secrets []string
}

// statusError is an answer with a failing status.
type statusError struct {
	code int
	body string
}

func (t *Transport) client() (*http.Client, error) {
	c := t.Client
	if c == nil {
		c = http.DefaultClient
	}
	if tr, ok := c.Transport.(*http.Transport); ok && tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify {
		return nil, fmt.Errorf("%w: the HTTP client skips TLS verification", ErrInsecure)
	}
	// A copy that follows redirects only on the same scheme and host:
	// the API keys ride in headers and queries that http.Client would
	// send on to any host.
	cc := *c
	check := c.CheckRedirect
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if first := via[0].URL; req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
			return fmt.Errorf("%w: redirected to %s://%s", ErrProtocol, req.URL.Scheme, req.URL.Host)
		}
		if check != nil {
			return check(req, via)
		}
		if len(via) >= 10 {
			return fmt.Errorf("%w: more than 10 redirects", ErrProtocol)
		}
		return nil
	}
	return &cc, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// do sends req, retrying as the Transport says, and returns the answer's
// body. Errors name the method and the URL without its query, and never
// a secret.
func (t *Transport) do(ctx context.Context, req *request) ([]byte, error) {
	body, err := t.try(ctx, req)
	if err != nil {
		return nil, redact(fmt.Errorf("%s %s: %w", req.method, safeURL(req.url), err), req.secrets)
	}
	return body, nil
}

func (t *Transport) try(ctx context.Context, req *request) ([]byte, error) {
	c, err := t.client()
	if err != nil {
		return nil, err
	}
	retries := orDefault(t.Retries, DefaultRetries)
	wait := orDefault(t.Backoff, DefaultBackoff)
	maxWait := orDefault(t.MaxBackoff, DefaultMaxBackoff)
	for attempt := 0; ; attempt++ {
		body, after, err := t.once(ctx, c, req)
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if after < 0 || attempt >= retries {
			if attempt > 0 {
				err = fmt.Errorf("%w (after %d tries)", err, attempt+1)
			}
			return nil, err
		}
		d := after
		if d == 0 {
			d = wait/2 + rand.N(wait/2+1)
			wait = min(2*wait, maxWait)
		}
		d = min(d, maxWait)
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// once sends req once. after says whether to retry: -1 not, 0 after the
// backoff, more after that long (a Retry-After).
func (t *Transport) once(ctx context.Context, c *http.Client, req *request) (_ []byte, after time.Duration, _ error) {
	ctx, cancel := context.WithTimeout(ctx, orDefault(t.Timeout, DefaultTimeout))
	defer cancel()
	var rb io.Reader
	if req.body != nil {
		rb = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url, rb)
	if err != nil {
		return nil, -1, fmt.Errorf("%w: %v", ErrProtocol, errors.Unwrap(err))
	}
	for k, vs := range req.header {
		hr.Header[k] = vs
	}
	resp, err := c.Do(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL, query and all
		}
		if errors.Is(err, ErrProtocol) {
			return nil, -1, err // a redirect refused
		}
		return nil, 0, fmt.Errorf("%w: %v", ErrNetwork, err)
	}
	defer resp.Body.Close()
	max := orDefault(t.MaxBody, DefaultMaxBody)
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	switch {
	case int64(len(body)) > max:
		return nil, -1, fmt.Errorf("%w: the answer is longer than %d bytes", ErrTooLarge, max)
	case err != nil:
		// A body cut short is a network failure: try again.
		return nil, 0, fmt.Errorf("%w: reading the answer: %v", ErrNetwork, err)
	}
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return body, 0, nil
	case code == http.StatusTooManyRequests:
		return nil, retryAfter(resp.Header.Get("Retry-After"), time.Now()), &statusError{code, snippet(body)}
	case code >= 500:
		return nil, 0, &statusError{code, snippet(body)}
	default:
		return nil, -1, &statusError{code, snippet(body)}
	}
}

func (e *statusError) Error() string {
	s := fmt.Sprintf("status %d %s", e.code, http.StatusText(e.code))
	if e.body != "" {
		s += ": " + e.body
	}
	return s
}

func (e *statusError) Is(target error) bool {
	switch target {
	case ErrStatus:
		return true
	case ErrAuth:
		return e.code == http.StatusUnauthorized || e.code == http.StatusForbidden
	case ErrRateLimited:
		return e.code == http.StatusTooManyRequests
	}
	return false
}

// retryAfter reads a Retry-After header: seconds or an HTTP date; 0 (the
// backoff) if it has neither.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return time.Millisecond
		}
		return time.Duration(min(n, 1<<20)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), time.Millisecond)
	}
	return 0
}

// snippet is the start of an error answer, for the message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b[:min(len(b), 200)])), " ")
	return strings.ToValidUTF8(s, "?")
}

// safeURL is u without its query and user, which may hold credentials.
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}

// redactedError is an error whose text has had its secrets removed. It
// unwraps to the sentinels the error it replaces matched, and no
// further: the replaced error's own text holds the secrets.
type redactedError struct {
	text  string
	kinds []error
}

func (e *redactedError) Error() string   { return e.text }
func (e *redactedError) Unwrap() []error { return e.kinds }

var sentinels = []error{ErrNetwork, ErrStatus, ErrAuth, ErrRateLimited, ErrTooLarge, ErrProtocol, ErrInsecure, context.Canceled, context.DeadlineExceeded}

// redact removes every secret from err's text, in plain and in URL
// encoded form.
func redact(err error, secrets []string) error {
	text := err.Error()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			text = strings.ReplaceAll(text, form, "[redacted]")
		}
	}
	var kinds []error
	for _, k := range sentinels {
		if errors.Is(err, k) {
			kinds = append(kinds, k)
		}
	}
	return &redactedError{text: text, kinds: kinds}
}
