package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// fetchConfig is what the operator allows GET url= to fetch.
type fetchConfig struct {
	// Hosts are the host names that may be fetched: exact names, or
	// "*.example.org" for the subdomains of example.org, or "*" for any.
	Hosts []string
	// AllowPrivate lets the fetcher reach loopback, private, link-local
	// and other non-public addresses, which it otherwise refuses.
	AllowPrivate bool
	// MaxBytes is the largest body fetched; 0 means 100 MiB, HMA's
	// MAX_REMOTE_FILE_SIZE.
	MaxBytes int64
	// Timeout bounds one fetch, redirects included; 0 means 30 seconds.
	Timeout time.Duration
}

// Why a fetch failed: the handlers map these to HMA's answers.
var (
	errUnsafeURL  = errors.New("invalid or unsafe URL")
	errTooLarge   = errors.New("content too large")
	errFetchFails = errors.New("failed to fetch URL")
)

// maxRedirects is how many redirects a fetch follows, each checked as
// the first URL is.
const maxRedirects = 3

// A fetcher gets media from URLs the operator allows. It checks the host
// name against the allow-list, then — since a name can resolve to
// anything, and resolve again differently (DNS rebinding) — the address
// every connection is actually made to, in the dialer's Control hook,
// after resolution. No proxy is used: a proxy would do the resolving.
type fetcher struct {
	cfg    fetchConfig
	client *http.Client
}

func newFetcher(cfg fetchConfig) *fetcher {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 100 << 20
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	f := &fetcher{cfg: cfg}
	d := &net.Dialer{Timeout: cfg.Timeout, Control: f.checkDial}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConns:          16,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	f.client = &http.Client{
		Transport: tr,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", errUnsafeURL, maxRedirects)
			}
			return f.checkURL(req.URL)
		},
	}
	return f
}

// checkURL refuses what is not http or https to an allowed host.
func (f *fetcher) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: scheme %q (want http or https)", errUnsafeURL, u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("%w: a URL with credentials", errUnsafeURL)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" {
		return fmt.Errorf("%w: no host", errUnsafeURL)
	}
	if !f.hostAllowed(host) {
		return fmt.Errorf("%w: host %q is not allowed (-fetch-hosts)", errUnsafeURL, host)
	}
	return nil
}

func (f *fetcher) hostAllowed(host string) bool {
	for _, h := range f.cfg.Hosts {
		h = strings.ToLower(h)
		switch {
		case h == "*", h == host:
			return true
		case strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:]):
			return true
		}
	}
	return false
}

// checkDial refuses a connection to a non-public address, unless the
// operator allows them. address is what the connection is made to, after
// name resolution.
func (f *fetcher) checkDial(network, address string, _ syscall.RawConn) error {
	if f.cfg.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: address %q", errUnsafeURL, address)
	}
	if !publicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s is not a public address", errUnsafeURL, ap.Addr())
	}
	return nil
}

// nonPublic are the ranges beyond netip's predicates that no fetch
// should reach: "this network", carrier-grade NAT, IETF protocol
// assignments, documentation, benchmarking, reserved, and the IPv6
// translation, discard, documentation and ULA ranges.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("fc00::/7"),
}

// publicAddr reports whether a is a public unicast address.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// get fetches rawURL and returns its body, at most cfg.MaxBytes of it, and
// its media type. Errors wrap errUnsafeURL, errTooLarge or errFetchFails.
func (f *fetcher) get(ctx context.Context, rawURL string) ([]byte, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", errUnsafeURL, err)
	}
	if err := f.checkURL(u); err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", errUnsafeURL, err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, errUnsafeURL) {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("%w: %v", errFetchFails, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%w: status %s", errFetchFails, resp.Status)
	}
	if resp.ContentLength > f.cfg.MaxBytes {
		return nil, "", fmt.Errorf("%w: %d bytes, more than %d", errTooLarge, resp.ContentLength, f.cfg.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.MaxBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", errFetchFails, err)
	}
	if int64(len(body)) > f.cfg.MaxBytes {
		return nil, "", fmt.Errorf("%w: more than %d bytes", errTooLarge, f.cfg.MaxBytes)
	}
	return body, resp.Header.Get("Content-Type"), nil
}
