package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// publish and follow keep a replica at its primary's set digest through
// a file:// bucket; follow --once --json ends with a line naming the
// sequence reached and the set digest.
func TestPublishFollow(t *testing.T) {
	dir := t.TempDir()
	bucket := filepath.Join(dir, "bucket")
	if err := os.Mkdir(bucket, 0o700); err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(bucket)
	r := cli(t, dir, "", "keygen", "--out", "acme.key", "--org", "acme").want(t, 0)
	pub := regexp.MustCompile(`public key: ([0-9a-f]{64})`).FindStringSubmatch(r.stdout)
	if pub == nil {
		t.Fatalf("keygen printed %q", r.stdout)
	}
	cli(t, dir, "", "peer", "add", "--db", "replica.db", "--id", "acme", "--key", pub[1]).want(t, 0)
	cli(t, dir, "", "follow", "--db", "replica.db", "--from", url, "--peer", "acme", "--once", "--interval", "1s").want(t, 2)

	for i := range 3 {
		cli(t, dir, fmt.Sprintf("md5:%032x\n", i), "add", "--db", "acme.db", "--source", "acme", "--tlp", "GREEN", "--signals", "-").want(t, 0)
		p := jsonLines[publishJSON](t, cli(t, dir, "", "publish", "--db", "acme.db", "--key", "acme.key", "--to", url, "--full-every", "2", "--json").want(t, 0).stdout)
		if len(p) != 1 || p[0].Bytes == 0 || !hex64.MatchString(p[0].SetDigest) {
			t.Fatalf("publish printed %+v", p)
		}
		out := cli(t, dir, "", "follow", "--db", "replica.db", "--from", url, "--peer", "acme", "--once", "--json").want(t, 0).stdout
		lines := jsonLines[followJSON](t, out)
		last := lines[len(lines)-1]
		if last.Seq != p[0].Seq || last.SetDigest != p[0].SetDigest || !last.Current || last.Behind != 0 {
			t.Fatalf("follow after publish %d: %+v, published %+v", i, last, p[0])
		}
		if want := i > 0; (last.Deltas == 1) != want || (last.Fulls == 1) == want {
			t.Errorf("follow %d applied %d deltas and %d FULL bundles", i, last.Deltas, last.Fulls)
		}
	}
	if r := cli(t, dir, "", "publish", "--db", "acme.db", "--key", "acme.key", "--to", url).want(t, 0); !strings.Contains(r.stdout, "nothing new") {
		t.Errorf("publish with nothing new: %q", r.stdout)
	}
	if st := statsOf(t, dir, "replica.db"); st.Items != 3 || st.Sources["acme"] != 3 {
		t.Errorf("replica: %+v", st)
	}
	// A tampered manifest: refused, exit 2, the replica keeps its state.
	mf := filepath.Join(bucket, "manifest.json")
	data, err := os.ReadFile(mf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mf, []byte(strings.Replace(string(data), `"seq": `, `"seq": 9`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	r = cli(t, dir, "", "follow", "--db", "replica.db", "--from", url, "--peer", "acme", "--once", "--json").want(t, 2)
	if l := jsonLines[followJSON](t, r.stdout); len(l) != 1 || !strings.Contains(l[0].Error, "bad manifest") || l[0].Current {
		t.Errorf("follow of a tampered manifest printed %+v", l)
	}
	if st := statsOf(t, dir, "replica.db"); st.Items != 3 {
		t.Errorf("replica after a refused manifest: %+v", st)
	}
	cli(t, dir, "", "follow", "--db", "replica.db", "--from", url, "--peer", "acme", "--once", "--interval", "1s").want(t, 2)
	cli(t, dir, "", "publish", "--db", "acme.db", "--to", url).want(t, 2)
}
