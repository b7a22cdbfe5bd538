package media

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/vpdq"
	"github.com/hashshare/hashshare/internal/testenv"
	"github.com/hashshare/hashshare/internal/testimage"
)

// bridgeJSON is what "hashdb hash --json --dihedral" printed for Meta's
// bridge photograph before the form moved here (less its "file" key): the
// bytes are a contract.
const bridgeJSON = `{"pdq":"f8f8f0cee0f4a84f06370a22028f67f0b36e2ed596621e1d33e6b39c4e9c9b22","pdq_quality":100,"phash":"aca29c1c33dc23d7","dhash":"b7b78787173734f6","ahash":"03c3e3010110fa38","md5":"d35c785545392755e7e4164457657269","sha1":"ea45d7166b30f98aac6af52f952193ce3083cb4c","sha256":"b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298","pdq_dihedral":["f8f8f0cee0f4a84f06370a22028f67f0b36e2ed596621e1d33e6b39c4e9c9b22","30a10efd71c83f429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af","adad5a64b5a102e55b62a08856dacd5ae63b847fc337b4b766b319361bc93188","a5f0b457a49995e8c1065c275aaa54d8b61ba49df8fcfc0383c32f8b0bfc4f05","f8f80f31e0f457b00637f5d5028f980fb36ed12a9622e1e233e64c634e9c64dd","0dad2599b1a1bd1a5362576752da32a5e63b7380c2374b4866b346c91bc9ce77","f0a5e102f1ccc0bd945309720fff018de34ef1e8ada9a956d2967ade5ea91a50","a5f04ba8a4996a17c906a3d85aaaa927b61b5b42f8fc03fc87c3d0740bfcb0fa"],"format":"jpeg","width":1600,"height":1004,"size":361182}`

func TestJSONBytes(t *testing.T) {
	p := filepath.Join(testenv.Dir(t, "pdq"), "images", "reg-test-input", "dih", "bridge-1-original.jpg")
	h, err := HashFile(context.Background(), p, &Options{Dihedral: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != bridgeJSON {
		t.Errorf("got  %s\nwant %s", b, bridgeJSON)
	}
	// Embedded, the form takes keys beside it, as the CLI's "file".
	want := `{"file":"x.jpg",` + bridgeJSON[1:]
	b, _ = json.Marshal(struct {
		File string `json:"file"`
		JSON
	}{"x.jpg", h.JSON()})
	if string(b) != want {
		t.Errorf("embedded: %s", b)
	}
	// A HashedFile is that line.
	b, _ = json.Marshal(HashedFile{Path: "x.jpg", Hashes: h})
	if string(b) != want {
		t.Errorf("HashedFile: %s", b)
	}
	var back HashedFile
	if err := json.Unmarshal(b, &back); err != nil || back.Path != "x.jpg" || !reflect.DeepEqual(back.Signals, h.Signals) {
		t.Errorf("HashedFile read back: %+v, %v", back, err)
	}
	if b, _ := json.Marshal(HashedFile{Path: "gone"}); string(b) != `{"file":"gone"}` {
		t.Errorf("unread file: %s", b)
	}
}

func TestJSON(t *testing.T) {
	flat := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range flat.Pix {
		flat.Pix[i] = 128
	}
	for _, tt := range []struct {
		name       string
		data       []byte
		dihedral   bool
		pdq        bool
		unreliable []string
		format     string
	}{
		{"text", []byte("hello"), false, false, nil, ""},
		{"busy image", testimage.Encode(t, "png", testimage.Photo(64, 48, 1)), true, true, nil, "png"},
		{"flat image", testimage.Encode(t, "png", flat), false, true, []string{"pdq", "phash", "dhash", "ahash"}, "png"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := HashReader(context.Background(), bytes.NewReader(tt.data), &Options{Dihedral: tt.dihedral})
			if err != nil {
				t.Fatal(err)
			}
			j := h.JSON()
			if (j.PDQ != "") != tt.pdq || (j.PDQQuality != nil) != tt.pdq || (j.PHash != "") != tt.pdq {
				t.Errorf("pdq %q quality %v phash %q, want perceptual hashes %v", j.PDQ, j.PDQQuality, j.PHash, tt.pdq)
			}
			if len(j.MD5) != 32 || len(j.SHA1) != 40 || len(j.SHA256) != 64 || j.Size != int64(len(tt.data)) {
				t.Errorf("digests %q %q %q size %d", j.MD5, j.SHA1, j.SHA256, j.Size)
			}
			if got := len(j.PDQDihedral); (got == 8) != tt.dihedral || (got != 0 && got != 8) {
				t.Errorf("%d dihedral hashes, want them: %v", got, tt.dihedral)
			}
			if !reflect.DeepEqual(j.Unreliable, tt.unreliable) {
				t.Errorf("unreliable %q, want %q", j.Unreliable, tt.unreliable)
			}
			if j.Format != tt.format || (tt.format != "" && (j.Width != 64 || j.Height != 48)) {
				t.Errorf("format %q %dx%d", j.Format, j.Width, j.Height)
			}

			// The form reads back into the same hashes, Skipped aside.
			b, err := json.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			var back Hashes
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			want := Hashes{Signals: h.Signals, Unreliable: h.Unreliable, Dihedral: h.Dihedral, Format: h.Format, Width: h.Width, Height: h.Height, Quality: h.Quality, Size: h.Size}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("read back %+v\nwant %+v", back, want)
			}
		})
	}
}

func TestUnmarshalJSONErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"md5":"xyz","size":1}`, "md5"},
		{`{"pdq_quality":50,"size":1}`, "pdq_quality"},
		{`{"unreliable":["phash"],"size":1}`, "phash has no signal"},
		{`{"unreliable":["nope"],"size":1}`, "unknown algorithm"},
		{`{"pdq_dihedral":["00"],"size":1}`, "pdq_dihedral[0]"},
		{`{"vpdq":"[\"f00d,100,0.0\"]","size":1}`, "vpdq"},
	} {
		var h Hashes
		err := json.Unmarshal([]byte(tt.in), &h)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "media: ") {
			t.Errorf("%s: %v, want an error about %s", tt.in, err, tt.want)
		}
	}
	var h Hashes
	if err := json.Unmarshal([]byte(`{"sha1":"00","size":0}`), &h); !errors.Is(err, signal.ErrInvalid) {
		t.Errorf("short sha1: %v, want signal.ErrInvalid", err)
	}
}

// TestVideoJSON checks a video's vPDQ and facts go out in pytx's form
// and read back.
func TestVideoJSON(t *testing.T) {
	var a [32]byte
	a[0] = 0xf0
	h := &Hashes{Size: 9, Video: &vpdq.Hash{
		Features: []vpdq.Feature{{Quality: 100, PDQ: a}, {Frame: 30, Quality: 90, PDQ: a, Seconds: 1}},
		Video:    vpdq.Video{Frames: 31, FPS: 30, Width: 64, Height: 48, Duration: 1.03},
	}}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"vpdq":"[\"f0` + strings.Repeat("0", 62) + `,100,0.0\", \"f0` + strings.Repeat("0", 62) + `,90,1.0\"]",` +
		`"video":{"frames":31,"fps":30,"width":64,"height":48,"duration":1.03},"size":9}`
	if string(b) != want {
		t.Errorf("JSON:\n%s\nwant\n%s", b, want)
	}
	var back Hashes
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Video == nil || back.Video.PyTX() != h.Video.PyTX() || back.Video.Video.Frames != 31 || back.Video.Video.FPS != 30 {
		t.Errorf("read back: %+v", back.Video)
	}
}

// FuzzHashedFileJSON: a HashedFile line either fails or reads back the
// same.
func FuzzHashedFileJSON(f *testing.F) {
	f.Add([]byte(`{"file":"x.jpg",` + bridgeJSON[1:]))
	f.Add([]byte(`{"file":"gone"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var hf HashedFile
		if err := json.Unmarshal(data, &hf); err != nil {
			return
		}
		b, err := json.Marshal(hf)
		if err != nil {
			t.Fatal(err)
		}
		var back HashedFile
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s does not read back: %v", b, err)
		}
		if !reflect.DeepEqual(back, hf) {
			t.Fatalf("read back %+v, want %+v", back, hf)
		}
	})
}

// FuzzUnmarshalJSON: any input either fails or reads into hashes whose
// form reads back to the same hashes.
func FuzzUnmarshalJSON(f *testing.F) {
	f.Add([]byte(bridgeJSON))
	f.Add([]byte(`{"md5":"5d41402abc4b2a76b9719d911017c592","size":5}`))
	f.Add([]byte(`{"pdq":"` + strings.Repeat("0", 64) + `","pdq_quality":0,"unreliable":["pdq"],"size":0}`))
	f.Add([]byte(`{"unreliable":["x"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var h Hashes
		if err := json.Unmarshal(data, &h); err != nil {
			return
		}
		b, err := json.Marshal(&h)
		if err != nil {
			t.Fatal(err)
		}
		var back Hashes
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s does not read back: %v", b, err)
		}
		if !reflect.DeepEqual(back, h) {
			t.Fatalf("read back %+v, want %+v", back, h)
		}
	})
}
