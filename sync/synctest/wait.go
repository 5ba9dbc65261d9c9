package synctest

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds, failing the test with cond's last
// word after a generous 90 s: a wait for an outcome, not a claim about
// speed.
func Eventually(t testing.TB, what string, cond func() (ok bool, why string)) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after 90s: %s", what, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
