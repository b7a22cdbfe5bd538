package lists

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSniffFiles checks that Auto tells every testdata file's format.
func TestSniffFiles(t *testing.T) {
	for _, c := range []struct {
		file string
		opts *ReadOptions
		want Format
	}{
		{"pytx_local.txt", nil, PyTX},
		{"pytx_typed.txt", &ReadOptions{SignalType: "pdq"}, PyTX},
		{"pytx_dataset.txt", nil, PyTX},
		{"pytx_dataset_typed.txt", &ReadOptions{SignalType: "pdq"}, PyTX},
		{"pytx_hash.txt", nil, PyTX},
		{"pytx.csv", nil, PyTXCSV},
		{"pytx_reordered.csv", nil, PyTXCSV},
		{"pdq_quality.csv", nil, PDQ},
		{"pdq_bare.txt", nil, PDQ},
		{"pdq_quality.txt", nil, PDQ},
		{"pdq_details.txt", nil, PDQ},
		{"pdq_filepath.csv", nil, PDQ},
		{"te_updates.json", nil, ThreatExchange},
		{"te_descriptors.json", nil, ThreatExchange},
		{"te_error.json", nil, ThreatExchange},
		{"tcap.json", nil, TCAP},
		{"stopncii.json", nil, StopNCII},
		{"ncmec.xml", nil, NCMEC},
	} {
		f, err := os.Open(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(f, Auto, c.opts)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if r.Format() != c.want {
			t.Errorf("%s: sniffed %s, want %s", c.file, r.Format(), c.want)
		}
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Format
	}{
		{"\xef\xbb\xbfsignal_type,signal_str,collab,category,tags\r\n", PyTXCSV},
		{"\n\n  pdq " + hexP + "\n", PyTX},
		{"ROTATE90 pdq " + hexP + "\n", PyTX},
		{" pdq " + hexP + "\n", PyTX},
		{"url https://example.invalid/\n", PyTX},
		{hexP + "\n", PDQ},
		{strings.ToUpper(hexP) + ",100,a.jpg\n", PDQ},
		{"hash=" + hexP + ",quality=100,filename=a\n", PDQ},
		{"FilePath,Hash\n", PDQ},
		{`{"data": [], "paging": {}}`, ThreatExchange},
		{`{"error": {"message": "x"}}`, ThreatExchange},
		{`{"1000000000000002": {"raw_indicator": "x"}}`, ThreatExchange},
		{`{"count": 2, "next": null, "results": []}`, TCAP},
		{`{"checkpoint": "1,2"}`, TCAP},
		{`{"count": 2, "nextSetTimestamp": 1, "hashRecords": []}`, StopNCII},
		{`  {"hashRecords": []}`, StopNCII},
		{`<?xml version="1.0"?><queryResult/>`, NCMEC},
		{`<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">`, NCMEC},
	} {
		r, err := NewReader(strings.NewReader(c.in), Auto, nil)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if r.Format() != c.want {
			t.Errorf("%q: sniffed %s, want %s", c.in, r.Format(), c.want)
		}
	}
	for _, in := range []string{
		"", "  \n\n", "hello world\n", hexM + "\n", `{"count": 1}`, `{"x": 1, "y": [1]}`, `[1, 2]`, `{`, "\x00\x01\x02",
	} {
		if _, err := NewReader(strings.NewReader(in), Auto, nil); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: err %v, want ErrFormat", in, err)
		}
	}
	// A typed pytx file of bare values is told by the option.
	r, err := NewReader(strings.NewReader(hexM+"\n"), Auto, &ReadOptions{SignalType: "video_md5"})
	if err != nil || r.Format() != PyTX {
		t.Errorf("bare md5 with SignalType: %v, %v", r, err)
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range append(readFormats, Auto) {
		if g, err := ParseFormat(strings.ToUpper(string(f))); err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, g, err)
		}
	}
	_, err := ParseFormat("gifct")
	if !errors.Is(err, ErrUnknownFormat) || !strings.HasPrefix(err.Error(), "lists: ") {
		t.Errorf("ParseFormat(gifct) error %v", err)
	}
	if _, err := NewReader(strings.NewReader(""), "gifct", nil); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("NewReader(gifct) error %v", err)
	}
	for _, o := range []*ReadOptions{{SignalType: "md5"}, {MaxLineLen: -1}, {MaxRecordSize: -1}} {
		if _, err := NewReader(strings.NewReader(""), PyTX, o); !errors.Is(err, ErrOptions) {
			t.Errorf("NewReader(%+v) error %v, want ErrOptions", o, err)
		}
	}
}
