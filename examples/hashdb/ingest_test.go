package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Invented values, in the shapes the formats document.
const (
	listPDQ  = "f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d"
	listPDQ2 = "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de"
	listMD5  = "f00df00df00df00df00df00df00df00d"
	listSHA  = "beefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeef"
)

// ingestLine is "ingest --json" as a client reads it.
type ingestLine struct {
	Format    string         `json:"format"`
	Items     int            `json:"items"`
	Signals   int            `json:"signals"`
	Retracted int            `json:"retracted"`
	Opinions  int            `json:"opinions"`
	Skipped   map[string]int `json:"skipped"`
}

// dumpLine is a line of "dump" (jsonl) as a client reads it.
type dumpLine struct {
	Source        string   `json:"source"`
	ID            string   `json:"id"`
	ContentType   string   `json:"content_type"`
	Signals       []string `json:"signals"`
	Unreliable    []string `json:"unreliable"`
	Labels        []string `json:"labels"`
	TLP           string   `json:"tlp"`
	FirstSeen     string   `json:"first_seen"`
	LastSeen      string   `json:"last_seen"`
	Note          string   `json:"note"`
	Retracted     bool     `json:"retracted"`
	RetractReason string   `json:"retract_reason"`
}

// ingestJSONOf runs "ingest --json" and decodes its last stdout line.
func ingestJSONOf(t *testing.T, dir string, args ...string) ingestLine {
	t.Helper()
	r := cli(t, dir, "", append([]string{"ingest", "--json"}, args...)...).want(t, 0)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	got := jsonLines[ingestLine](t, lines[len(lines)-1])
	if len(got) != 1 {
		t.Fatalf("ingest --json printed %q", r.stdout)
	}
	if !strings.Contains(lines[len(lines)-1], `"skipped":{`) {
		t.Errorf("no skipped object in %q", lines[len(lines)-1])
	}
	return got[0]
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func dumpOf(t *testing.T, dir string, args ...string) []dumpLine {
	t.Helper()
	return jsonLines[dumpLine](t, cli(t, dir, "", append([]string{"dump"}, args...)...).want(t, 0).stdout)
}

func TestIngestFormats(t *testing.T) {
	tests := []struct {
		format, file, content string
		want                  ingestLine // Skipped: the count of reasons, by total
		skipped               int
		source                string
		live                  []string // the signals of the live items, in order
	}{
		{
			format: "pytx", file: "local.txt",
			content: "pdq " + listPDQ + "\n\nvideo_md5 " + listMD5 + "\nurl https://example.invalid/\npdq nothex\n",
			want:    ingestLine{Format: "pytx", Items: 2, Signals: 2}, skipped: 2, source: "acme",
			live: []string{"pdq:" + listPDQ, "md5:" + listMD5},
		},
		{
			format: "pytx-csv", file: "dataset.csv",
			content: "signal_type,signal_str,collab,category,tags\r\n" +
				"pdq," + listPDQ + ",example-collab,POSITIVE_CLASS,example_tag second_tag\r\n" +
				"video_md5," + listMD5 + ",\"Example List, second\",INVESTIGATION_SEED,\r\n",
			want: ingestLine{Format: "pytx-csv", Items: 2, Signals: 2}, source: "acme",
			live: []string{"pdq:" + listPDQ, "md5:" + listMD5},
		},
		{
			format: "pdq", file: "hashes.txt",
			content: listPDQ + ",100,images/example one.jpg\n" + listPDQ2 + ",20,images/flat.png\n",
			want:    ingestLine{Format: "pdq", Items: 2, Signals: 2}, source: "acme",
			live: []string{"pdq:" + listPDQ, "pdq:" + listPDQ2},
		},
		{
			format: "tcap", file: "tcap.json",
			content: `{"count": 3, "next": null, "previous": null, "results": [
 {"hash_digest": "` + listPDQ + `", "algorithm": "PDQ", "ideology": "far-right", "file_type": "jpg", "deleted": false, "updated_on": 1700000000, "id": 900001},
 {"hash_digest": "` + listMD5 + `", "algorithm": "MD5", "ideology": "islamist", "file_type": "mp4", "deleted": false, "updated_on": 1700000100, "id": 900002},
 {"hash_digest": "` + listSHA + `", "algorithm": "SHA512", "deleted": false, "id": 900003}]}`,
			want: ingestLine{Format: "tcap", Items: 2, Signals: 2}, skipped: 1, source: "tcap",
			live: []string{"pdq:" + listPDQ, "md5:" + listMD5},
		},
		{
			format: "threatexchange", file: "te.json",
			content: `{"data": [
 {"id": "1000000000000001", "indicator": "` + listPDQ + `", "type": "HASH_PDQ", "last_updated": 1700000000, "should_delete": false,
  "descriptors": {"data": [{"id": "1000000000000002", "owner": {"id": "2000000000000001"}, "status": "MALICIOUS",
   "tags": {"data": [{"id": "2000000000000002", "text": "example_tag"}]}, "added_on": "2023-11-14T22:13:20+0000"}]}}]}`,
			// The owner's MALICIOUS status is its opinion.
			want: ingestLine{Format: "threatexchange", Items: 1, Signals: 1, Opinions: 1}, source: "threatexchange",
			live: []string{"pdq:" + listPDQ},
		},
		{
			format: "stopncii", file: "stopncii.json",
			content: `{"count": 2, "nextPageToken": null, "hasMoreRecords": false, "hashRecords": [
 {"lastModtimestamp": 1700000000, "signalType": "ImagePDQ", "hashValue": "` + listPDQ + `", "hashStatus": "Active",
  "CSPFeedbacks": [{"source": "ExampleCSP", "feedbackValue": "Blocked", "tags": ["ExampleTag"]}]},
 {"lastModtimestamp": 1700000100, "signalType": "VideoMD5", "hashValue": "` + listMD5 + `", "hashStatus": "Active"}]}`,
			want: ingestLine{Format: "stopncii", Items: 2, Signals: 2, Opinions: 1}, source: "stopncii",
			live: []string{"pdq:" + listPDQ, "md5:" + listMD5},
		},
		{
			format: "ncmec", file: "ncmec.xml",
			content: `<?xml version="1.0" encoding="UTF-8"?>
<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
  <images count="1" maxTimestamp="2023-11-14T22:15:00Z">
    <image>
      <member id="9990">Example ESP</member>
      <timestamp>2023-11-14T22:13:20Z</timestamp>
      <id>example-1</id>
      <classification>A1</classification>
      <fingerprints><md5>` + listMD5 + `</md5><pdq>` + listPDQ + `</pdq></fingerprints>
    </image>
  </images>
</queryResult>`,
			want: ingestLine{Format: "ncmec", Items: 1, Signals: 2}, source: "ncmec",
			live: []string{"pdq:" + listPDQ + " md5:" + listMD5},
		},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, tc.file, tc.content)
			args := []string{"--db", "l.db", "--format", tc.format, "--label", "list:test", tc.file}
			if tc.source == "acme" {
				// The files of these formats name no organisation, and
				// the new database records none.
				args = append(args, "--source", "acme")
			}
			got := ingestJSONOf(t, dir, args...)
			n := 0
			for _, k := range got.Skipped {
				n += k
			}
			if got.Format != tc.want.Format || got.Items != tc.want.Items || got.Signals != tc.want.Signals ||
				got.Retracted != tc.want.Retracted || got.Opinions != tc.want.Opinions || n != tc.skipped {
				t.Errorf("summary %+v, want %+v with %d skipped", got, tc.want, tc.skipped)
			}
			var live []string
			for _, d := range dumpOf(t, dir, "--db", "l.db") {
				live = append(live, strings.Join(d.Signals, " "))
				if d.Source != tc.source || d.TLP == "" || !slices.Contains(d.Labels, "list:test") {
					t.Errorf("item %+v: want source %s, a level, label list:test", d, tc.source)
				}
			}
			if !slices.Equal(live, tc.live) {
				t.Errorf("stored %q, want %q", live, tc.live)
			}
			// Auto tells the format from the content.
			args[3] = "auto"
			if got := ingestJSONOf(t, dir, args...); got.Format != tc.format {
				t.Errorf("auto: format %q, want %q", got.Format, tc.format)
			}
		})
	}
}

func TestIngestRoundTrip(t *testing.T) {
	tests := []struct{ format, file, content string }{
		{"pytx", "local.txt", "pdq " + listPDQ2 + "\nvideo_md5 " + listMD5 + "\npdq " + listPDQ + "\nvideo_sha256 " + listSHA + "\n"},
		// Categories the pytx reader keeps; collabs already in the label
		// alphabet; tags sorted (pytx prints a set).
		{"pytx-csv", "dataset.csv", "signal_type,signal_str,collab,category,tags\r\n" +
			"pdq," + listPDQ2 + ",example-collab,INVESTIGATION_SEED,example_tag second_tag\r\n" +
			"video_sha256," + listSHA + ",example-collab,POSITIVE_CLASS,example_tag\r\n" +
			"video_md5," + listMD5 + ",example-collab,DISPUTED,\r\n" +
			"pdq," + listPDQ + ",other.collab,INVESTIGATION_SEED,tag\r\n"},
		{"pdq", "hashes.txt", listPDQ2 + "\n" + listPDQ + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, tc.file, tc.content)
			got := ingestJSONOf(t, dir, "--db", "l.db", "--format", tc.format, "--source", "acme", tc.file)
			if len(got.Skipped) != 0 {
				t.Errorf("skipped %v", got.Skipped)
			}
			r := cli(t, dir, "", "dump", "--db", "l.db", "--format", tc.format).want(t, 0)
			if r.stdout != tc.content {
				t.Errorf("dump --format %s:\n%q\nwant\n%q", tc.format, r.stdout, tc.content)
			}

			// The same file again changes nothing.
			before := cli(t, dir, "", "stats", "--db", "l.db", "--json").want(t, 0).stdout
			again := ingestJSONOf(t, dir, "--db", "l.db", "--format", tc.format, "--source", "acme", tc.file)
			if again.Items != got.Items {
				t.Errorf("second ingest %+v, first %+v", again, got)
			}
			if after := cli(t, dir, "", "stats", "--db", "l.db", "--json").want(t, 0).stdout; after != before {
				t.Errorf("second ingest changed the database:\n%s\n%s", before, after)
			}
		})
	}
}

func TestIngestDeletesAndDump(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "page1.json", `{"count": 2, "next": null, "previous": null, "results": [
 {"hash_digest": "`+listPDQ+`", "algorithm": "PDQ", "ideology": "far-right", "file_type": "jpg", "deleted": false, "updated_on": 1700000000, "id": 1},
 {"hash_digest": "`+listMD5+`", "algorithm": "MD5", "file_type": "mp4", "deleted": false, "updated_on": 1700000100, "id": 2}]}`)
	writeFile(t, dir, "page2.json", `{"count": 2, "next": null, "previous": null, "results": [
 {"hash_digest": "`+listMD5+`", "algorithm": "MD5", "file_type": "mp4", "deleted": true, "updated_on": 1700000200, "id": 2},
 {"hash_digest": "`+listSHA+`", "algorithm": "SHA256", "deleted": true, "updated_on": 1700000300, "id": 3}]}`)
	ingestJSONOf(t, dir, "--db", "l.db", "--format", "tcap", "--tlp", "green", "page1.json")
	got := ingestJSONOf(t, dir, "--db", "l.db", "--format", "tcap", "page2.json")
	if got.Retracted != 1 || got.Skipped["delete of unknown item"] != 1 {
		t.Errorf("deletes: %+v", got)
	}

	live := dumpOf(t, dir, "--db", "l.db")
	if len(live) != 1 || live[0].ID != "1" || live[0].TLP != "GREEN" || live[0].ContentType != "photo" || live[0].Retracted ||
		live[0].FirstSeen == "" || live[0].Signals[0] != "pdq:"+listPDQ || live[0].Unreliable == nil || live[0].Labels == nil {
		t.Errorf("dump: %+v", live)
	}
	all := dumpOf(t, dir, "--db", "l.db", "--retracted", "--source", "tcap")
	if len(all) != 2 || all[1].ID != "2" || !all[1].Retracted || all[1].RetractReason == "" || all[1].ContentType != "video" {
		t.Errorf("dump --retracted: %+v", all)
	}
	if d := dumpOf(t, dir, "--db", "l.db", "--source", "nobody"); len(d) != 0 {
		t.Errorf("dump --source nobody: %+v", d)
	}
	// A retracted item has no pytx form; its signals are counted.
	r := cli(t, dir, "", "dump", "--db", "l.db", "--retracted", "--format", "pytx").want(t, 0)
	if r.stdout != "pdq "+listPDQ+"\n" || !strings.Contains(r.stderr, "1 retracted item") {
		t.Errorf("dump --retracted --format pytx: %q, %q", r.stdout, r.stderr)
	}
	r = cli(t, dir, "", "dump", "--db", "l.db", "--format", "pdq").want(t, 0)
	if r.stdout != listPDQ+"\n" {
		t.Errorf("dump --format pdq: %q", r.stdout)
	}
	cli(t, dir, "", "dump", "--db", "l.db", "--format", "xml").want(t, 2)
	cli(t, dir, "", "dump", "--db", "missing.db").want(t, 2)
}

func TestIngestErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "local.txt", "pdq "+listPDQ+"\n")
	writeFile(t, dir, "bad.json", "this is not JSON")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "pytx", "missing.txt"}, "missing.txt"},
		{[]string{"--format", "tcap", "bad.json"}, "bad.json"},
		{[]string{"--format", "auto", "bad.json"}, "bad.json"},
		{[]string{"--format", "nope", "local.txt"}, "nope"},
		{[]string{"local.txt"}, "--format is required"},
		{[]string{"--format", "pytx"}, "FILE"},
		{[]string{"--format", "pytx", "--label", "Bad Label", "local.txt"}, "label"},
		{[]string{"--format", "pytx", "--tlp", "purple", "local.txt"}, "purple"},
		// No --source, and the database records no organisation.
		{[]string{"--format", "pytx", "local.txt"}, "--source ORG"},
	} {
		r := cli(t, dir, "", append([]string{"ingest", "--db", "l.db"}, c.args...)...).want(t, 2)
		if !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: stderr %q, want %q", c.args, r.stderr, c.want)
		}
	}
	// From stdin, with the human summary on stderr.
	r := cli(t, dir, "pdq "+listPDQ+"\nurl https://example.invalid/\n", "ingest", "--db", "l.db", "--format", "pytx", "--source", "acme", "-").want(t, 0)
	if r.stdout != "" || !strings.Contains(r.stderr, "stored 1 items with 1 signals") || !strings.Contains(r.stderr, "skipped 1") {
		t.Errorf("human summary: %q, %q", r.stdout, r.stderr)
	}
}

func TestOpinionHistory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "local.txt", "pdq "+listPDQ+"\n")
	ingestJSONOf(t, dir, "--db", "l.db", "--format", "pytx", "--source", "partner", "local.txt")
	id := "pdq:" + listPDQ
	cli(t, dir, "", "opinion", "--db", "l.db", "--source", "partner", "--id", id, "--verdict", "confirmed").want(t, 2) // whose?
	cli(t, dir, "", "opinion", "--db", "l.db", "--org", "acme", "--source", "partner", "--id", id, "--verdict", "disputed", "--reason", "not ours\tat all").want(t, 0)
	// The organisation is recorded now.
	cli(t, dir, "", "opinion", "--db", "l.db", "--source", "partner", "--id", id, "--verdict", "false-positive").want(t, 0)
	cli(t, dir, "", "retract", "--db", "l.db", "--source", "partner", "--id", id, "--reason", "withdrawn").want(t, 0)
	for _, c := range [][]string{
		{"--source", "partner", "--id", "nope", "--verdict", "confirmed"},
		{"--source", "partner", "--id", id, "--verdict", "maybe"},
		{"--source", "partner", "--id", id},
	} {
		cli(t, dir, "", append([]string{"opinion", "--db", "l.db"}, c...)...).want(t, 2)
	}

	r := cli(t, dir, "", "history", "--db", "l.db", "--source", "partner", "--id", id).want(t, 0)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	want := []string{"add\t-\t-", "opinion\t-\tacme disputed: not ours at all", "opinion\t-\tacme false-positive", "retract\t-\twithdrawn"}
	if len(lines) != len(want) {
		t.Fatalf("history:\n%s", r.stdout)
	}
	for i, l := range lines {
		f := strings.SplitN(l, "\t", 3)
		if len(f) != 3 || f[0] != []string{"1", "2", "3", "4"}[i] || !strings.HasSuffix(l, "\t"+want[i]) || !strings.Contains(f[1], "T") {
			t.Errorf("history line %d: %q, want seq %d, an RFC 3339 time and %q", i, l, i+1, want[i])
		}
	}
	type change struct {
		Seq     uint64 `json:"seq"`
		Time    string `json:"time"`
		Kind    string `json:"kind"`
		Actor   string `json:"actor"`
		Reason  string `json:"reason"`
		Opinion *struct {
			Org, Verdict, Actor, Time, Reason string
		} `json:"opinion"`
	}
	js := jsonLines[change](t, cli(t, dir, "", "history", "--db", "l.db", "--source", "partner", "--id", id, "--json").want(t, 0).stdout)
	if len(js) != 4 || js[1].Kind != "opinion" || js[1].Opinion == nil || js[1].Opinion.Verdict != "disputed" || js[1].Opinion.Org != "acme" ||
		js[3].Kind != "retract" || js[3].Reason != "withdrawn" || js[0].Opinion != nil {
		t.Errorf("history --json: %+v", js)
	}
	cli(t, dir, "", "history", "--db", "l.db", "--source", "partner", "--id", "nope").want(t, 2)
	cli(t, dir, "", "history", "--db", "l.db", "--source", "partner").want(t, 2)
}

func TestHelpListsListForms(t *testing.T) {
	r := cli(t, t.TempDir(), "", "help").want(t, 0)
	for _, form := range []string{
		"hashdb ingest --db F --format FORMAT [--source ORG] [--tlp LEVEL] [--label L]... [--json] FILE|-",
		"hashdb dump --db F [--format jsonl|pytx|pytx-csv|pdq] [--source ORG] [--retracted]",
		"hashdb opinion --db F --source S --id ID --verdict confirmed|disputed|false-positive [--reason TEXT]",
		"hashdb history --db F --source S --id ID [--json]",
		"hashdb match --db F [--json] [--threshold ALG=N]... [--include-unreliable] [--tmk] FILE|DIR...\n",
		"hashdb match --db F --all",
	} {
		if !strings.Contains(r.stdout, form) {
			t.Errorf("help lacks %q", form)
		}
	}
}
