package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestParseTokens(t *testing.T) {
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return "sha256:" + hex.EncodeToString(h[:]) }
	good := sum("a") + " alice match,curate\n# a comment\n\n" + sum("b") + " sync exchange peer=partner-org\n"
	ts, err := parseTokens(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].name != "alice" || !ts[0].has(roleCurate) || ts[0].has(roleExchange) || ts[1].peer != "partner-org" {
		t.Fatalf("%+v", ts)
	}
	if tok, ok := ts.find("b"); !ok || tok.name != "sync" {
		t.Errorf("find(b) = %v, %v", tok, ok)
	}
	if _, ok := ts.find("c"); ok {
		t.Errorf("find(c) found a token")
	}
	for _, c := range []struct{ what, file, msg string }{
		{"empty", "# nothing\n", "no tokens"},
		{"two fields", sum("a") + " alice\n", "2 fields"},
		{"five fields", sum("a") + " alice match peer=x more\n", "5 fields"},
		{"a token, not its hash", "hst_abc alice match\n", "sha256:"},
		{"short hash", "sha256:abcd alice match\n", "sha256:"},
		{"bad role", sum("a") + " alice admin\n", `role "admin"`},
		{"role twice", sum("a") + " alice match,match\n", "twice"},
		{"bad name", sum("a") + " al/ice match\n", "name"},
		{"bad peer", sum("a") + " alice exchange peer=Big\n", "peer"},
		{"not peer=", sum("a") + " alice exchange org=x\n", "peer="},
		{"same name", sum("a") + " alice match\n" + sum("b") + " alice hash\n", "twice"},
		{"same token", sum("a") + " alice match\n" + sum("a") + " bob hash\n", "same token"},
	} {
		_, err := parseTokens(strings.NewReader(c.file))
		if !errors.Is(err, errTokenFile) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want a token file error mentioning %q", c.what, err, c.msg)
		}
	}
}

func TestTokenCommand(t *testing.T) {
	var out, errs bytes.Buffer
	if err := runToken([]string{"--name", "sync", "--roles", "exchange,match", "--peer", "partner"}, &out, &errs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "hst_") {
		t.Fatalf("output %q", out.String())
	}
	if strings.Contains(lines[1], lines[0]) {
		t.Fatalf("the file line holds the token itself")
	}
	ts, err := parseTokens(strings.NewReader(lines[1]))
	if err != nil {
		t.Fatal(err)
	}
	tok, ok := ts.find(lines[0])
	if !ok || tok.name != "sync" || tok.peer != "partner" || !tok.has(roleExchange) || !tok.has(roleMatch) || tok.has(roleCurate) {
		t.Fatalf("the printed token does not match its line: %+v %v", tok, ok)
	}
	for _, args := range [][]string{
		{"--roles", "match"},
		{"--name", "x"},
		{"--name", "x", "--roles", "root"},
		{"--name", "x", "--roles", "match", "--peer", "Not An Org"},
		{"--name", "x", "--roles", "match", "extra"},
	} {
		if err := runToken(args, &out, &errs); err == nil {
			t.Errorf("token %q: no error", args)
		}
	}
}

func FuzzParseTokens(f *testing.F) {
	h := sha256.Sum256([]byte("a"))
	f.Add("sha256:" + hex.EncodeToString(h[:]) + " alice match,curate peer=x\n# c\n")
	f.Add("sha256:zz a b\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := parseTokens(strings.NewReader(s))
		if err != nil {
			if ts != nil {
				t.Fatalf("tokens and an error")
			}
			return
		}
		// Every entry writes back as a line that reads as itself.
		for _, tok := range ts {
			again, err := parseTokens(strings.NewReader(tok.line()))
			if err != nil || len(again) != 1 || again[0].line() != tok.line() {
				t.Fatalf("%q does not read back: %v", tok.line(), err)
			}
		}
	})
}
