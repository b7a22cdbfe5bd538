package hashdb

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb/signal"
)

// crashEnv, when set in the environment, makes TestCrashDurability act as
// the child: "path batch" names the database and the batch to put.
const crashEnv = "HASHDB_CRASH_CHILD"

// crashBase is how many items every database starts with.
const crashBase = 1000

// crashBatch is how many items the child puts in one call: 20,000, or
// 10,000 under the race detector, which slows the child too.
var crashBatch = map[bool]int{false: 20000, true: 10000}[raceEnabled]

func crashItems(source string, n int) []Item {
	items := make([]Item, n)
	for i := range items {
		items[i] = testItem(strconv.Itoa(i), i)
		items[i].Source = source
	}
	return items
}

// TestCrashDurability kills a child process at random moments while it
// puts a large batch, and checks after each kill that the file opens, is
// consistent, and holds the whole batch or none of it.
func TestCrashDurability(t *testing.T) {
	if arg := os.Getenv(crashEnv); arg != "" {
		crashChild(arg)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary; skipped with -short")
	}
	reps := 20

	// run starts a child putting a batch into path and, if kill >= 0,
	// kills it that long after it reports the database open. If the child
	// finished its Put first, it returns how long the Put took, as the
	// child measured it.
	run := func(path string, kill time.Duration) (time.Duration, bool) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurability$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(out)
		line, err := r.ReadString('\n')
		if err != nil || line != "open\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child said %q, %v", line, err)
		}
		if kill >= 0 {
			time.Sleep(kill)
			cmd.Process.Kill() // SIGKILL: no chance to clean up
		}
		line, _ = r.ReadString('\n') // "put <ns>" if the Put finished
		err = cmd.Wait()
		if kill < 0 && err != nil {
			t.Fatalf("child failed: %v", err)
		}
		var ns int64
		if _, err := fmt.Sscanf(line, "put %d\n", &ns); err != nil {
			return 0, false
		}
		return time.Duration(ns), true
	}

	// setup creates a database holding the base items.
	setup := func(dir string) string {
		path := filepath.Join(dir, "crash.db")
		db, err := Open(path, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutForeign(context.Background(), "test", crashItems("base", crashBase)...); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}

	// A run left alone measures how long the batch takes, so kills can
	// land anywhere in it, commit included. The machine is shared, so
	// every child that finishes before its kill shortens the estimate.
	full, ok := run(setup(t.TempDir()), -1)
	if !ok {
		t.Fatal("child did not report its Put")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var committed, lost int
	for rep := range reps {
		path := setup(t.TempDir())
		// Most kills land in the second half, where the transaction is
		// written and committed.
		delay := full/4 + time.Duration(rng.Int64N(int64(full)))
		if took, finished := run(path, delay); finished {
			full = min(full, took)
		}

		o := testOptions()
		o.Timeout = 5 * time.Second
		db, err := Open(path, o)
		if err != nil {
			t.Fatalf("rep %d (kill after %v): Open: %v", rep, delay, err)
		}
		probs, err := db.Check(context.Background())
		if err != nil || len(probs) > 0 {
			t.Errorf("rep %d (kill after %v): Check: %v, %v", rep, delay, probs, err)
		}
		st, err := db.Stats()
		if err != nil {
			t.Fatal(err)
		}
		switch n := st.Sources["batch"]; {
		case st.Sources["base"] != crashBase:
			t.Errorf("rep %d: %d base items, want %d", rep, st.Sources["base"], crashBase)
		case n == crashBatch && st.LastSeq == uint64(crashBase+crashBatch):
			committed++
		case n == 0 && st.LastSeq == crashBase:
			lost++
		default:
			t.Errorf("rep %d (kill after %v): %d of %d batch items, last seq %d: not all or nothing", rep, delay, n, crashBatch, st.LastSeq)
		}
		if items, err := db.Lookup(testSignal(signal.MD5, crashBatch-1)); err != nil || len(items) != st.Sources["batch"]/crashBatch {
			t.Errorf("rep %d: Lookup of the batch's last signal = %d items, %v", rep, len(items), err)
		}
		db.Close()
	}
	t.Logf("batch of %d takes %v; %d kills: %d batches committed, %d lost", crashBatch, full, reps, committed, lost)
	if lost == 0 {
		t.Errorf("no kill interrupted the batch; the test proves nothing")
	}
}

// crashChild is the child's side: open, say so, put one large batch.
func crashChild(path string) {
	db, err := Open(path, testOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	items := crashItems("batch", crashBatch)
	fmt.Println("open")
	start := time.Now()
	if err := db.PutForeign(context.Background(), "test", items...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Printf("put %d\n", time.Since(start))
	db.Close()
	os.Exit(0)
}
