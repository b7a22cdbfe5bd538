package lists

import (
	"context"
	"io"
	"maps"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// TestPyTXVPDQ reads pytx vpdq values, whose JSON lists hold spaces, into
// video items, with the opinion fields `tx dataset` prints after them.
func TestPyTXVPDQ(t *testing.T) {
	const list = `["` + hexP + `,100,0.0", "` + hexC + `,80,1.0"]`
	in := strings.Join([]string{
		"vpdq " + list,
		"vpdq " + list + " 'my collab' INVESTIGATION_SEED tag-a",
		"vpdq " + list + " NEGATIVE_CLASS",
		`vpdq ["` + hexP + `,101,0.0"]`,
		"vpdq []",
		`vpdq ["` + hexP + `,100,0.0"`,
		"vpdq " + list + "x",
		"pdq " + hexP,
	}, "\n") + "\n"
	r, err := NewReader(strings.NewReader(in), PyTX, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec)
	}
	want := []string{"upsert", "upsert", "skip unsupported vpdq NEGATIVE_CLASS", "skip malformed vpdq value",
		"skip malformed vpdq value", "skip malformed vpdq value", "skip malformed vpdq value", "upsert"}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d: %v", len(got), len(want), got)
	}
	for i, rec := range got {
		s := rec.Kind.String()
		if rec.Kind == Skip {
			s += " " + rec.Reason
		}
		if s != want[i] {
			t.Errorf("line %d: %s, want %s (%v)", i+1, s, want[i], rec.Err)
		}
	}
	v := got[0].Item
	if v.Video == nil || len(v.Video.Features) != 2 || v.Video.PyTX() != list || v.ContentType != hashdb.ContentVideo ||
		!strings.HasPrefix(v.ID, "vpdq:") || len(v.ID) != 69 || len(v.Signals) != 0 {
		t.Errorf("video item %+v", v)
	}
	if w := got[1].Item; w.ID != v.ID || strings.Join(w.Labels, " ") != "pytx:collab:my_collab pytx:investigation_seed pytx:tag-a" {
		t.Errorf("same video, labels: %s %v", w.ID, w.Labels)
	}
}

// TestIngestPyTXVPDQ ingests a pytx file of video hashes and matches one.
func TestIngestPyTXVPDQ(t *testing.T) {
	db := openDB(t, "acme")
	r, err := NewReader(strings.NewReader("vpdq [\""+hexP+",100,0.0\", \""+hexC+",80,1.0\"]\npdq "+hexB+"\n"), PyTX, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Ingest(context.Background(), db, r, &IngestOptions{Source: "acme"})
	if err != nil || sum.Items != 2 {
		t.Fatalf("ingest: %+v, %v", sum, err)
	}
	q, _ := vpdq.Parse(`["` + hexC + `,100,0.0"]`)
	res, err := db.MatchVideo(context.Background(), q, nil)
	if err != nil || len(res.Matches) != 1 || res.Matches[0].ComparedPercent != 50 || res.Matches[0].Item.Source != "acme" {
		t.Fatalf("match: %+v, %v", res, err)
	}
}

// An item's vPDQ is written as pytx's vpdq line in both pytx formats and
// reads back as the same video hash; the PDQ format and a TMK, which
// pytx has no type for, are counted as left out.
func TestWriteVPDQ(t *testing.T) {
	const list = `["` + hexP + `,100,0.0", "` + hexC + `,80,1.0"]`
	v, err := vpdq.ParsePyTX(list)
	if err != nil {
		t.Fatal(err)
	}
	it := hashdb.Item{Key: hashdb.Key{Source: "us", ID: "clip"}, ContentType: hashdb.ContentVideo, Video: v,
		TMK: &tmk.Hash{}, Signals: []signal.Signal{sig(t, signal.MD5, "0123456789abcdef0123456789abcdef")}}
	for _, tc := range []struct {
		format  Format
		want    string
		skipped map[string]int
	}{
		{PyTX, "video_md5 0123456789abcdef0123456789abcdef\nvpdq " + list + "\n", map[string]int{"no pytx type for tmk_pdqf": 1}},
		{PyTXCSV, "signal_type,signal_str,collab,category,tags\r\nvideo_md5,0123456789abcdef0123456789abcdef,us,INVESTIGATION_SEED,\r\n" +
			`vpdq,"` + strings.ReplaceAll(list, `"`, `""`) + "\",us,INVESTIGATION_SEED,\r\n", map[string]int{"no pytx type for tmk_pdqf": 1}},
		{PDQ, "", map[string]int{"not pdq: md5": 1, "not pdq: vpdq": 1, "no pytx type for tmk_pdqf": 1}},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			var b strings.Builder
			w, err := NewWriter(&b, tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(it); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Fatalf("wrote\n%q\nwant\n%q", b.String(), tc.want)
			}
			if !maps.Equal(w.Skipped(), tc.skipped) {
				t.Errorf("skipped %v, want %v", w.Skipped(), tc.skipped)
			}
			if tc.format == PDQ {
				return
			}
			r, err := NewReader(strings.NewReader(b.String()), tc.format, nil)
			if err != nil {
				t.Fatal(err)
			}
			var videos int
			for {
				rec, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil || rec.Kind == Skip {
					t.Fatalf("reading back: %v %v", err, rec.Err)
				}
				if rec.Item.Video != nil {
					videos++
					if rec.Item.Video.PyTX() != list {
						t.Errorf("read back %s", rec.Item.Video.PyTX())
					}
				}
			}
			if videos != 1 {
				t.Errorf("%d videos read back", videos)
			}
		})
	}
}
