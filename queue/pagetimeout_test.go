package queue_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/synctest"
)

// A connection that stops answering without closing (half-open: a peer
// gone without a FIN or RST, a firewall dropping packets) fails the run
// after page_timeout, on the source side and on the target side, instead
// of holding the table until the run's 30-minute timeout.
func TestHalfOpenConnectionTimesOutThePage(t *testing.T) {
	for _, side := range []string{"source", "target"} {
		t.Run(side, func(t *testing.T) {
			t.Parallel()
			var proxy *synctest.Proxy
			o := fixtureOptions{}
			if side == "source" {
				proxy = synctest.NewProxy(t, "127.0.0.1:5432")
				o.sourceAddr = proxy.Addr()
			} else {
				proxy = synctest.NewProxy(t, "127.0.0.1:3306")
				o.targetAddr = proxy.Addr()
			}
			f := newFixture(t, o)
			f.declareLarge("items", 1000, 100)
			path := filepath.Join(f.dir, "tables", "items.yaml")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f.write("tables/items.yaml", string(b)+"page_timeout: 2s\n")
			job, err := connect.Open(context.Background(), f.pools, f.table("items"))
			if err != nil {
				t.Fatal(err)
			}
			defer job.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
			defer cancel()
			start := time.Now()
			rec, err := job.Run(ctx, datasync.Options{Logger: zerolog.Nop(), AfterPage: func(page int) error {
				if page == 1 {
					proxy.Stall()
				}
				return nil
			}})
			took := time.Since(start)
			if err == nil || !strings.Contains(err.Error(), "page_timeout 2s") || took > 40*time.Second {
				t.Fatalf("run with the %s stalled after page 1: %v after %v (%d pages); want it failed naming page_timeout 2s within 40s",
					side, err, took, rec.Pages)
			}
			proxy.Restore()
		})
	}
}
