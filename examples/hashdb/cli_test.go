package main

import (
	"bytes"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

func TestParseInterspersed(t *testing.T) {
	for _, c := range []struct {
		args      []string
		pos       []string
		json, dih bool
		labels    []string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, false, false, nil},
		{[]string{"--json", "a"}, []string{"a"}, true, false, nil},
		{[]string{"a", "-json", "b", "--dihedral"}, []string{"a", "b"}, true, true, nil},
		{[]string{"a", "--label", "x", "b", "-label=y"}, []string{"a", "b"}, false, false, []string{"x", "y"}},
		{[]string{"a", "--", "--json", "-"}, []string{"a", "--json", "-"}, false, false, nil},
		{[]string{"-", "--json"}, []string{"-"}, true, false, nil},
		{nil, nil, false, false, nil},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		j := fs.Bool("json", false, "")
		d := fs.Bool("dihedral", false, "")
		var labels stringList
		fs.Var(&labels, "label", "")
		pos, err := parse(fs, c.args)
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if !slices.Equal(pos, c.pos) || *j != c.json || *d != c.dih || !slices.Equal(labels, c.labels) {
			t.Errorf("%q: pos %q json %v dihedral %v labels %q", c.args, pos, *j, *d, labels)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parse(fs, []string{"a", "--nope"}); err == nil {
		t.Error("an unknown flag after an argument parsed")
	}
}

func TestParseSignalLine(t *testing.T) {
	pdq := "pdq:" + strings.Repeat("ab", 32)
	for _, c := range []struct {
		line   string
		ok     bool
		id     string
		labels []string
		err    string
	}{
		{"", false, "", nil, ""},
		{"   \t ", false, "", nil, ""},
		{"# comment\twith tabs", false, "", nil, ""},
		{"  # indented comment", false, "", nil, ""},
		{pdq, true, pdq, nil, ""},
		{pdq + "\r", true, pdq, nil, ""},
		{" " + strings.ToUpper(pdq) + " ", true, pdq, nil, ""},
		{pdq + "\tcase 1", true, "case 1", nil, ""},
		{pdq + "\t\ta,b", true, pdq, []string{"a", "b"}, ""},
		{pdq + "\tid\t a , ,b ", true, "id", []string{"a", "b"}, ""},
		{pdq + "\tid\t", true, "id", nil, ""},
		{"p:8000000000000001", true, "phash:8000000000000001", nil, ""},
		{strings.Repeat("ab", 32), false, "", nil, "prefix"},
		{"pdq:abc", false, "", nil, "invalid signal"},
		{"sha9:00", false, "", nil, ""},
		{pdq + "\tid\tA", false, "", nil, "label"},
		{pdq + "\t" + strings.Repeat("x", 513), false, "", nil, "513 bytes"},
		{pdq + "\tbad\x01id", false, "", nil, "control"},
		{pdq + "\ta\tb\tc", false, "", nil, "4 tab-separated"},
	} {
		l, ok, err := parseSignalLine(c.line)
		if c.err != "" || (!c.ok && err != nil) {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one mentioning %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil || ok != c.ok {
			t.Errorf("%q: ok %v err %v, want ok %v", c.line, ok, err, c.ok)
			continue
		}
		if ok && (l.id != c.id || !slices.Equal(l.labels, c.labels)) {
			t.Errorf("%q: id %q labels %q, want %q %q", c.line, l.id, l.labels, c.id, c.labels)
		}
	}
}

func TestReadSignalsLineNumbers(t *testing.T) {
	pdq := "pdq:" + strings.Repeat("ab", 32)
	var lines []int
	err := readSignals(strings.NewReader("# x\n\n"+pdq+"\n"+pdq+"\tb\n"), "f", func(l signalLine) error {
		lines = append(lines, l.line)
		return nil
	})
	if err != nil || !slices.Equal(lines, []int{3, 4}) {
		t.Errorf("lines %v, err %v", lines, err)
	}
	err = readSignals(strings.NewReader(pdq+"\n"+strings.Repeat("x", 2<<20)+"\n"), "big", func(signalLine) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "big: after line 1") {
		t.Errorf("an over-long line: %v", err)
	}
}

func FuzzParseSignalLine(f *testing.F) {
	f.Add("pdq:" + strings.Repeat("ab", 32) + "\tid\tlabel,other")
	f.Add("# comment")
	f.Add("md5:d41d8cd98f00b204e9800998ecf8427e\t\t")
	f.Add("p:8000000000000001\tx\ty\tz")
	f.Fuzz(func(t *testing.T, line string) {
		l, ok, err := parseSignalLine(line)
		if err != nil || !ok {
			return
		}
		// What parses round-trips through the signal's string form and
		// gives the item an id and labels hashdb accepts.
		back, err := signal.Parse(l.signal.String())
		if err != nil || back != l.signal {
			t.Fatalf("%q: signal %v does not round-trip: %v", line, l.signal, err)
		}
		if l.id == "" || checkID(l.id) != nil {
			t.Fatalf("%q: bad id %q", line, l.id)
		}
		for _, lab := range l.labels {
			if hashdb.ValidateLabel(lab) != nil {
				t.Fatalf("%q: bad label %q", line, lab)
			}
		}
	})
}

// TestRunInProcess drives run directly, as main does.
func TestRunInProcess(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"help"}, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "hashdb add --db F --source ORG") {
		t.Errorf("help: %d %q", code, stdout.String())
	}
	stdout.Reset()
	if code := run([]string{"hash", "--json", "-"}, strings.NewReader(""), &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), `"md5":"d41d8cd98f00b204e9800998ecf8427e"`) {
		t.Errorf("hash of empty stdin: %d %q %q", code, stdout.String(), stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"peer"}, nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "add, list or remove") {
		t.Errorf("peer alone: %d %q", code, stderr.String())
	}
}
