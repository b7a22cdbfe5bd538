package main

import (
	"fmt"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// publish and follow through s3://, the S3 driver speaking to an
// in-process S3 fake on loopback, configured as gocloud's s3blob
// documents: credentials from the environment, endpoint, region and
// path-style addressing from URL parameters.
func TestPublishFollowS3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("replicas"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	defer ts.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	url := "s3://replicas?region=us-east-1&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required&endpoint=" + ts.URL

	dir := t.TempDir()
	r := cli(t, dir, "", "keygen", "--out", "acme.key", "--org", "acme").want(t, 0)
	pub := regexp.MustCompile(`public key: ([0-9a-f]{64})`).FindStringSubmatch(r.stdout)
	if pub == nil {
		t.Fatalf("keygen printed %q", r.stdout)
	}
	cli(t, dir, "", "peer", "add", "--db", "replica.db", "--id", "acme", "--key", pub[1]).want(t, 0)
	for i := range 3 {
		cli(t, dir, fmt.Sprintf("md5:%032x\n", i), "add", "--db", "acme.db", "--source", "acme", "--tlp", "GREEN", "--signals", "-").want(t, 0)
		p := jsonLines[publishJSON](t, cli(t, dir, "", "publish", "--db", "acme.db", "--key", "acme.key", "--to", url, "--full-every", "2", "--json").want(t, 0).stdout)
		lines := jsonLines[followJSON](t, cli(t, dir, "", "follow", "--db", "replica.db", "--from", url, "--peer", "acme", "--once", "--json").want(t, 0).stdout)
		if last := lines[len(lines)-1]; last.Seq != p[0].Seq || last.SetDigest != p[0].SetDigest || !last.Current {
			t.Fatalf("follow over s3 after publish %d: %+v, published %+v", i, last, p[0])
		}
	}
	objs, err := backend.ListBucket("replicas", nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	// The manifest, the FULL bundle at 2 and deltas 1-2 and 2-3 (the
	// first FULL was pruned).
	if n := len(objs.Contents); n != 4 {
		var names []string
		for _, o := range objs.Contents {
			names = append(names, o.Key)
		}
		t.Errorf("the bucket holds %d objects %q, want 4", n, names)
	}
}
