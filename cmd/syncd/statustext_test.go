package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/queue"
)

// A target that refuses the login is both a problem of the status read
// and the task's last error: syncd status says it once.
func TestStatusPrintsAnErrorOnce(t *testing.T) {
	now := time.Now()
	at := now.Add(-time.Minute)
	refused := "connect to tgt (root:***@tcp(127.0.0.1:3306)/db): Error 1045 (28000): Access denied for user 'root'@'127.0.0.1' (using password: YES)"
	sts := []queue.TableStatus{{
		Name: "b_badpw", Schedule: "@every 10s", Queue: "syncd",
		Problems:  []string{"target: " + refused, "source: connect to src: refused"},
		LastError: "b_badpw: " + refused + " (not retried: a retry cannot fix this; fix it, then enqueue again)", LastErrorAt: &at,
	}}
	var b bytes.Buffer
	if err := printStatus(&b, sts, now); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "Error 1045"); n != 1 {
		t.Errorf("status:\n%s\nsays the error %d times; want once", b.String(), n)
	}
	if !strings.Contains(b.String(), "last error 1m0s ago") || !strings.Contains(b.String(), "b_badpw: source: connect to src: refused") {
		t.Errorf("status:\n%s\nwant the last error with its age, and the other problem", b.String())
	}
}
