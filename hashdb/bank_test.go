package hashdb

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestValidateBankName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"EXAMPLE_BANK", true}, {"_X1", true}, {"A", true},
		{"", false}, {"1A", false}, {"lower", false}, {"A-B", false}, {"A B", false},
		{string(make([]byte, MaxLabelLen)), false},
	} {
		err := ValidateBankName(tc.name)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrInvalidBank) {
			t.Errorf("ValidateBankName(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
	for _, tc := range []struct {
		label, bank string
		ok          bool
	}{
		{"bank:example_bank", "EXAMPLE_BANK", true}, {"bank:Example", "", false}, {"bank:1a", "", false}, {"type:video", "", false},
	} {
		b, ok := BankOfLabel(tc.label)
		if b != tc.bank || ok != tc.ok {
			t.Errorf("BankOfLabel(%q) = %q, %v; want %q, %v", tc.label, b, ok, tc.bank, tc.ok)
		}
	}
}

func TestBanks(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, testOptions())
	if err := db.CreateBank(ctx, Bank{Name: "ONE", MatchRatio: 1}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateBank(ctx, Bank{Name: "ONE"}); !errors.Is(err, ErrBankExists) {
		t.Fatalf("creating twice: %v, want ErrBankExists", err)
	}
	for _, b := range []Bank{{Name: "bad"}, {Name: "X", MatchRatio: 1.5}, {Name: "X", MatchRatio: -0.1}} {
		if err := db.CreateBank(ctx, b); !errors.Is(err, ErrInvalidBank) {
			t.Errorf("CreateBank(%+v) = %v, want ErrInvalidBank", b, err)
		}
	}
	one := Bank{Name: "ONE"}.Label()
	a, b, c := testItem("a", 1), testItem("b", 2), testItem("c", 3)
	a.Labels = append(a.Labels, one)
	b.Labels = append(b.Labels, one)
	if err := db.Put(ctx, a, b, c); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateBank(ctx, "ONE", Bank{Name: "TWO", MatchRatio: 0.5}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetBank("ONE"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the old name: %v, want ErrNotFound", err)
	}
	if got, err := db.GetBank("TWO"); err != nil || got.MatchRatio != 0.5 {
		t.Fatalf("GetBank(TWO) = %+v, %v", got, err)
	}
	for _, k := range []Key{a.Key, b.Key} {
		it, err := db.Get(k)
		if err != nil || !slices.Contains(it.Labels, "bank:two") || slices.Contains(it.Labels, one) {
			t.Fatalf("%s after the rename: %v %v", k, it.Labels, err)
		}
	}
	if err := db.CreateBank(ctx, Bank{Name: "THREE"}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateBank(ctx, "TWO", Bank{Name: "THREE"}); !errors.Is(err, ErrBankExists) {
		t.Fatalf("renaming onto THREE: %v, want ErrBankExists", err)
	}
	if err := db.UpdateBank(ctx, "NONE", Bank{Name: "NONE"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("updating a missing bank: %v, want ErrNotFound", err)
	}
	banks, err := db.Banks()
	if err != nil || len(banks) != 2 || banks[0].Name != "THREE" || banks[1].Name != "TWO" {
		t.Fatalf("Banks() = %+v, %v", banks, err)
	}
	n, err := db.DeleteBank(ctx, "TWO")
	if err != nil || n != 2 {
		t.Fatalf("DeleteBank = %d, %v; want 2", n, err)
	}
	if it, _ := db.Get(a.Key); !it.Retracted {
		t.Fatalf("a member is not retracted after its bank's deletion")
	}
	if it, _ := db.Get(c.Key); it.Retracted {
		t.Fatalf("a non-member was retracted")
	}
	if n, err := db.DeleteBank(ctx, "TWO"); err != nil || n != 0 {
		t.Fatalf("deleting again = %d, %v; want 0, nil", n, err)
	}
}

func TestNumbersAndLocalState(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, testOptions())
	a, b := testItem("a", 1), testItem("b", 2)
	if err := db.Put(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	nums, err := db.Numbers(a.Key, b.Key, Key{Source: "local", ID: "none"})
	if err != nil || nums[0] == 0 || nums[1] == 0 || nums[0] == nums[1] || nums[2] != 0 {
		t.Fatalf("Numbers = %v, %v", nums, err)
	}
	a.Note = "changed"
	if err := db.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	if again, _ := db.Numbers(a.Key); again[0] != nums[0] {
		t.Fatalf("an update renumbered the item: %d, then %d", nums[0], again[0])
	}
	if it, err := db.GetNumber(nums[1]); err != nil || it.Key != b.Key {
		t.Fatalf("GetNumber(%d) = %v, %v", nums[1], it.Key, err)
	}
	if _, err := db.GetNumber(99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetNumber(99): %v, want ErrNotFound", err)
	}

	until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		s    LocalState
		err  error
	}{
		{"until without disabled", LocalState{DisabledUntil: until}, ErrInvalidState},
		{"huge annotation", LocalState{Annotation: make([]byte, MaxAnnotationLen+1)}, ErrInvalidState},
		{"before 1970", LocalState{Disabled: true, DisabledUntil: time.Unix(-5, 0)}, ErrInvalidState},
	} {
		if err := db.SetLocalState(ctx, nums[0], tc.s); !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
	}
	if err := db.SetLocalState(ctx, 99, LocalState{Disabled: true}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a missing number: %v, want ErrNotFound", err)
	}
	want := LocalState{Disabled: true, DisabledUntil: until, Annotation: []byte(`{"x":1}`)}
	if err := db.SetLocalState(ctx, nums[0], want); err != nil {
		t.Fatal(err)
	}
	got, err := db.LocalStates(nums[0], nums[1])
	if err != nil || !got[0].Disabled || !got[0].DisabledUntil.Equal(until) || string(got[0].Annotation) != `{"x":1}` || got[1].Disabled {
		t.Fatalf("LocalStates = %+v, %v", got, err)
	}
	if !got[0].DisabledAt(until.Add(-time.Second)) || got[0].DisabledAt(until) {
		t.Fatalf("DisabledAt is wrong around %v", until)
	}
	if !(LocalState{Disabled: true}).DisabledAt(until) {
		t.Fatalf("disabled without an end is not disabled")
	}
	if err := db.SetLocalState(ctx, nums[0], LocalState{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.LocalStates(nums[0]); got[0].Disabled || got[0].Annotation != nil {
		t.Fatalf("the cleared state is %+v", got[0])
	}
}

func FuzzBankName(f *testing.F) {
	for _, s := range []string{"EXAMPLE_BANK", "_1", "a", "", "BANK-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateBankName(name) != nil {
			return
		}
		l := Bank{Name: name}.Label()
		if err := ValidateLabel(l); err != nil {
			t.Fatalf("bank %q has the invalid label %q: %v", name, l, err)
		}
		if back, ok := BankOfLabel(l); !ok || back != name {
			t.Fatalf("label %q of bank %q reads back as %q, %v", l, name, back, ok)
		}
	})
}

func FuzzDecodeLocalState(f *testing.F) {
	f.Add(LocalState{Disabled: true, DisabledUntil: time.Unix(1700000000, 5), Annotation: []byte("{}")}.encode())
	f.Add([]byte{})
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeLocalState(1, b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if again := s.encode(); string(again) != string(b) {
			t.Fatalf("%x decodes to %+v, which encodes to %x", b, s, again)
		}
	})
}

func FuzzDecodeBank(f *testing.F) {
	f.Add([]byte("B"), encodeBank(Bank{MatchRatio: 0.5}))
	f.Add([]byte("B"), []byte{1})
	f.Fuzz(func(t *testing.T, name, v []byte) {
		b, err := decodeBank(name, v)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if string(encodeBank(b)) != string(v) {
			t.Fatalf("%x does not encode back", v)
		}
	})
}
