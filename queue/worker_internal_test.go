package queue

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// While Redis is down, Asynq's lines about it become one, naming the
// address; its other lines pass as they are.
func TestAsynqLoggerCollapsesRedisDown(t *testing.T) {
	var b bytes.Buffer
	l := Logger(zerolog.New(&b))
	for range 5 {
		l.Error("Dequeue error: UNKNOWN: redis eval error: dial tcp 127.0.0.1:6390: connect: connection refused")
		l.Warn("recoverer: could not list lease expired tasks: INTERNAL_ERROR: redis eval error: dial tcp 127.0.0.1:6390: connect: connection refused")
	}
	l.Warn("something else")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"error":"dial tcp 127.0.0.1:6390: connect: connection refused"`) ||
		strings.Contains(lines[0], "UNKNOWN") || !strings.Contains(lines[1], "something else") {
		t.Fatalf("log:\n%s\nwant one line naming the address, then the other line", b.String())
	}
}
