package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// The roles a token may hold.
const (
	roleHash     = "hash"     // hash media
	roleMatch    = "match"    // look up, compare, read the index status
	roleCurate   = "curate"   // read and write banks, content and items
	roleExchange = "exchange" // bundles in and out
)

var roles = []string{roleHash, roleMatch, roleCurate, roleExchange}

// errTokenFile marks a token file that cannot be read as one.
var errTokenFile = errors.New("token file")

// A token is one line of the token file: the SHA-256 of a bearer token,
// never the token itself, and what it may do.
type token struct {
	sum   [sha256.Size]byte
	name  string   // the actor its requests are recorded as
	roles []string // what it may do
	peer  string   // the partner organisation it speaks for, if any
}

func (t *token) has(role string) bool { return slices.Contains(t.roles, role) }

// line returns t as a line of the token file.
func (t *token) line() string {
	s := "sha256:" + hex.EncodeToString(t.sum[:]) + " " + t.name + " " + strings.Join(t.roles, ",")
	if t.peer != "" {
		s += " peer=" + t.peer
	}
	return s
}

// tokens are the tokens a server accepts.
type tokens []token

// find returns the token whose hash is secret's. It compares against
// every entry, in constant time each, so that the time it takes says
// nothing of how close a guess came.
func (ts tokens) find(secret string) (*token, bool) {
	sum := sha256.Sum256([]byte(secret))
	found := -1
	for i := range ts {
		if subtle.ConstantTimeCompare(sum[:], ts[i].sum[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil, false
	}
	return &ts[found], true
}

// readTokens reads a token file.
func readTokens(path string) (tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ts, err := parseTokens(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, nil
}

// parseTokens reads the token file format: one token a line,
// "sha256:<64 hex> <name> <role>[,<role>…] [peer=<org>]", with blank lines
// and lines starting with '#' skipped. The first bad line fails the read.
func parseTokens(r io.Reader) (tokens, error) {
	var ts tokens
	names := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t, err := parseTokenLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", errTokenFile, n, err)
		}
		if names[t.name] {
			return nil, fmt.Errorf("%w: line %d: name %q is used twice", errTokenFile, n, t.name)
		}
		for _, o := range ts {
			if o.sum == t.sum {
				return nil, fmt.Errorf("%w: line %d: the same token as %q", errTokenFile, n, o.name)
			}
		}
		names[t.name] = true
		ts = append(ts, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", errTokenFile, err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("%w: no tokens (matchserver token --name NAME --roles ROLES writes a line)", errTokenFile)
	}
	return ts, nil
}

func parseTokenLine(line string) (token, error) {
	var t token
	f := strings.Fields(line)
	if len(f) < 3 || len(f) > 4 {
		return t, fmt.Errorf("%d fields, want sha256:<hex> NAME ROLES [peer=ORG]", len(f))
	}
	h, ok := strings.CutPrefix(f[0], "sha256:")
	if b, err := hex.DecodeString(h); !ok || err != nil || len(b) != sha256.Size {
		return t, fmt.Errorf("%q is not sha256: and 64 hex digits", truncate(f[0]))
	} else {
		copy(t.sum[:], b)
	}
	var err error
	if t.name, err = checkName(f[1]); err != nil {
		return t, err
	}
	if t.roles, err = parseRoles(f[2]); err != nil {
		return t, err
	}
	if len(f) == 4 {
		p, ok := strings.CutPrefix(f[3], "peer=")
		if !ok {
			return t, fmt.Errorf("%q: want peer=ORG", truncate(f[3]))
		}
		if t.peer, err = checkPeer(p); err != nil {
			return t, err
		}
	}
	return t, nil
}

// checkName checks a token's name: what the audit trail records.
func checkName(s string) (string, error) {
	if s == "" || len(s) > 64 {
		return "", fmt.Errorf("name %q: want 1 to 64 characters", truncate(s))
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_.@-", c)) {
			return "", fmt.Errorf("name %q: character %q (want letters, digits, '_', '.', '@', '-')", truncate(s), c)
		}
	}
	return s, nil
}

// checkPeer checks an organisation id, as hashdb spells them.
func checkPeer(s string) (string, error) {
	if s == "" || len(s) > 64 {
		return "", fmt.Errorf("peer %q: want 1 to 64 characters", truncate(s))
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("_.-", c)) {
			return "", fmt.Errorf("peer %q: character %q (want a-z, 0-9, '_', '.', '-')", truncate(s), c)
		}
	}
	return s, nil
}

func parseRoles(s string) ([]string, error) {
	var out []string
	for r := range strings.SplitSeq(s, ",") {
		switch {
		case !slices.Contains(roles, r):
			return nil, fmt.Errorf("role %q: want %s", truncate(r), strings.Join(roles, ", "))
		case slices.Contains(out, r):
			return nil, fmt.Errorf("role %q appears twice", r)
		}
		out = append(out, r)
	}
	return out, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// runToken is "matchserver token --name NAME --roles R[,R…] [--peer ORG]":
// it prints a new random token on its first line and the token file's
// line for it on its second.
func runToken(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("matchserver token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the token's `name`, recorded as the actor of its requests")
	roleList := fs.String("roles", "", "comma-separated `roles`: "+strings.Join(roles, ", "))
	peer := fs.String("peer", "", "the partner `organisation` the token speaks for (exchange tokens)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *name == "" || *roleList == "" {
		return errors.New("token: --name and --roles are required")
	}
	secret, t, err := newToken(*name, *roleList, *peer)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n%s\n", secret, t.line())
	return err
}

// newToken returns a new random bearer token and its entry.
func newToken(name, roleList, peer string) (string, token, error) {
	var t token
	var err error
	if t.name, err = checkName(name); err != nil {
		return "", t, err
	}
	if t.roles, err = parseRoles(roleList); err != nil {
		return "", t, err
	}
	if peer != "" {
		if t.peer, err = checkPeer(peer); err != nil {
			return "", t, err
		}
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", t, err
	}
	secret := "hst_" + base64.RawURLEncoding.EncodeToString(b[:])
	t.sum = sha256.Sum256([]byte(secret))
	return secret, t, nil
}
