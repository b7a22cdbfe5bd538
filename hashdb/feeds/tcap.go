package feeds

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/lists"
)

// TCAPBase is Tech Against Terrorism's TCAP base.
const TCAPBase = "https://app.terrorismanalytics.org"

// TCAP is a client of Tech Against Terrorism's content hash list v2. It
// logs in with the username and password for a bearer token (a JWT),
// and logs in again when the token expires or is refused.
type TCAP struct {
	Username, Password string
	// BaseURL replaces [TCAPBase].
	BaseURL string
	// PageSize is the entries asked for a page: 1 to 1000, default 1000.
	PageSize int
	// Transport is how requests are sent.
	Transport Transport

	mu      sync.Mutex
	token   string
	expires time.Time // zero if the token says nothing
}

// API returns "tcap".
func (c *TCAP) API() string { return "tcap" }

// Collab returns "": TCAP has one list.
func (c *TCAP) Collab() string { return "" }

func (c *TCAP) format() lists.Format { return lists.TCAP }

func (c *TCAP) base() string { return orBase(c.BaseURL, TCAPBase) }

// stale is never: TCAP documents no limit on its checkpoints.
func (c *TCAP) stale(*hashdb.FeedState, time.Time) bool { return false }

func (c *TCAP) since(st *hashdb.FeedState, t time.Time) {
	st.Checkpoint = strconv.FormatInt(t.Unix(), 10) + ",0"
}

// login returns a token good at now, fetching one if needed.
func (c *TCAP) login(ctx context.Context, now time.Time, force bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && !force && (c.expires.IsZero() || now.Before(c.expires.Add(-30*time.Second))) {
		return c.token, nil
	}
	if c.Username == "" || c.Password == "" {
		return "", fmt.Errorf("%w: TCAP needs username and password", ErrCredentials)
	}
	form := url.Values{"username": {c.Username}, "password": {c.Password}, "resend": {"false"}}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	body, err := c.Transport.do(ctx, &request{method: http.MethodPost, url: c.base() + "/token-auth/tcap/", header: h,
		body: []byte(form.Encode()), secrets: []string{c.Password, c.Username}})
	if err != nil {
		return "", fmt.Errorf("TCAP login: %w", err)
	}
	tok, exp, err := parseTCAPToken(body)
	if err != nil {
		return "", err
	}
	c.token, c.expires = tok, exp
	return tok, nil
}

// parseTCAPToken reads the login answer {"token": JWT, …} and the
// token's expiry, its payload's exp (zero if it has none).
func parseTCAPToken(body []byte) (string, time.Time, error) {
	var a struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.Token == "" {
		return "", time.Time{}, fmt.Errorf("%w: TCAP login answer has no token", ErrProtocol)
	}
	var exp time.Time
	if parts := strings.Split(a.Token, "."); len(parts) == 3 {
		if payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "=")); err == nil {
			var claims struct {
				Exp float64 `json:"exp"`
			}
			if json.Unmarshal(payload, &claims) == nil && claims.Exp > 0 && claims.Exp < 1e11 {
				exp = time.Unix(int64(claims.Exp), 0)
			}
		}
	}
	return a.Token, exp, nil
}

// get fetches u with the token, logging in again once if it is refused.
func (c *TCAP) get(ctx context.Context, u string, now time.Time) ([]byte, error) {
	for try := 0; ; try++ {
		tok, err := c.login(ctx, now, try > 0)
		if err != nil {
			return nil, err
		}
		h := http.Header{"Authorization": {"Bearer " + tok}}
		body, err := c.Transport.do(ctx, &request{method: http.MethodGet, url: u, header: h, secrets: []string{tok, c.Password}})
		if try == 0 && errors.Is(err, ErrAuth) {
			continue
		}
		return body, err
	}
}

// tcapPage is the paging part of a hash list page.
type tcapPage struct {
	Next       *string `json:"next"`
	Checkpoint *string `json:"checkpoint"`
}

func parseTCAPPage(body []byte) (tcapPage, error) {
	var p tcapPage
	if err := json.Unmarshal(body, &p); err != nil {
		return p, fmt.Errorf("%w: TCAP page: %v", ErrProtocol, err)
	}
	return p, nil
}

func (c *TCAP) page(ctx context.Context, st *hashdb.FeedState, now time.Time) ([]byte, bool, error) {
	u := st.Cursor
	if u != "" {
		// A cursor stored under another base URL is not followed: the
		// token would go there.
		if _, err := sameHost(c.base(), u); err != nil {
			u = ""
		}
	}
	if u == "" {
		q := url.Values{"order": {"asc"}, "limit": {strconv.Itoa(clamp(c.PageSize, 1000, 1000))}}
		if st.Checkpoint != "" {
			q.Set("after", st.Checkpoint)
		}
		u = c.base() + "/api/hash-list/v2/all?" + q.Encode()
	}
	body, err := c.get(ctx, u, now)
	if err != nil {
		return nil, false, err
	}
	p, err := parseTCAPPage(body)
	if err != nil {
		return nil, false, err
	}
	if p.Checkpoint != nil && *p.Checkpoint != "" {
		st.Checkpoint = *p.Checkpoint
	}
	if p.Next == nil || *p.Next == "" {
		st.Cursor = ""
		return body, true, nil
	}
	next, err := sameHost(c.base(), *p.Next)
	if err != nil {
		return nil, false, err
	}
	if next == u {
		return nil, false, fmt.Errorf("%w: TCAP's next page is the page itself", ErrProtocol)
	}
	st.Cursor = next
	return body, false, nil
}

func (c *TCAP) report(context.Context, *hashdb.Item, *hashdb.Opinion) error {
	return fmt.Errorf("%w: TCAP", ErrNoFeedback)
}
