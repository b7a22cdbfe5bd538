package feeds

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

// Every parser of an exchange's answers takes any bytes: it returns a
// value or an error wrapping ErrProtocol, and never panics.

func checkParse(t *testing.T, err error) {
	if err != nil && !errors.Is(err, ErrProtocol) {
		t.Fatalf("error %v does not wrap ErrProtocol", err)
	}
}

func FuzzParseStopNCIIPage(f *testing.F) {
	f.Add([]byte(`{"count": 1, "nextSetTimestamp": 1700000200, "nextPageToken": "t", "hasMoreRecords": true, "hashRecords": []}`))
	f.Add([]byte(`{"nextSetTimestamp": "x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := parseStopNCIIPage(b)
		checkParse(t, err)
	})
}

func FuzzParseTCAPPage(f *testing.F) {
	f.Add([]byte(`{"count": 2, "next": "https://x/api?offset=2", "previous": null, "checkpoint": "1700000100.5,900002", "results": []}`))
	f.Add([]byte(`{"next": 5}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := parseTCAPPage(b)
		checkParse(t, err)
	})
}

func FuzzParseTCAPToken(f *testing.F) {
	f.Add([]byte(`{"token": "a.eyJleHAiOiAxNzAwMDAwMDAwfQ.c", "user": {}}`))
	f.Add([]byte(`{"token": "a.b.c"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, _, err := parseTCAPToken(b)
		checkParse(t, err)
		if err == nil && tok == "" {
			t.Fatal("no error and no token")
		}
	})
}

func FuzzParseTEPage(f *testing.F) {
	f.Add([]byte(`{"data": [{"id": "1", "last_updated": 1700000000}, {"last_updated": "2023-11-14T22:13:20+0000"}], "paging": {"next": "https://graph.facebook.com/v21.0/x"}}`))
	f.Add([]byte(`{"error": {"message": "x"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseTEPage(b)
		checkParse(t, err)
		for _, d := range p.Data {
			if ts := teTime(d.LastUpdated); ts < 0 {
				t.Fatalf("teTime %s = %d", d.LastUpdated, ts)
			}
		}
	})
}

func FuzzParsePrivacyGroups(f *testing.F) {
	f.Add([]byte(`{"data": [{"id": 555, "name": "G", "members_can_see": true}], "paging": {"next": "n"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, err := parsePrivacyGroups(b)
		checkParse(t, err)
	})
}

func FuzzParseNCMECPage(f *testing.F) {
	f.Add([]byte(`<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><images count="1" maxTimestamp="2023-11-14T22:15:00Z"><image><timestamp>2023-11-14T22:13:20Z</timestamp></image></images><videos count="0"/><paging><next>/v2/entries?start=3</next></paging></queryResult>`))
	f.Add([]byte(`<other/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseNCMECPage(b)
		checkParse(t, err)
		if err == nil {
			_ = p.Images.maxTime()
			_ = p.Videos.maxTime()
		}
	})
}

func FuzzParseNCMECReasons(f *testing.F) {
	f.Add([]byte(`<availableReasons><reasons><reason guid="g" name="n" type="MD5"/></reasons></availableReasons>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		guid, err := parseNCMECReasons(b)
		checkParse(t, err)
		if err == nil && guid == "" {
			t.Fatal("no error and no guid")
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add("99999999999999999999")
	f.Fuzz(func(t *testing.T, h string) {
		d := retryAfter(h, time.Unix(1700000000, 0))
		if d < 0 {
			t.Fatalf("retryAfter(%q) = %v", h, d)
		}
		if n, err := strconv.ParseInt(h, 10, 64); err == nil && n > 0 && d > time.Duration(1<<20)*time.Second {
			t.Fatalf("retryAfter(%q) = %v, unbounded", h, d)
		}
	})
}
