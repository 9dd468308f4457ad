package storetest

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/demarc-io/demarc"
)

// benchContent is a system file of a realistic size (about 2 KB).
var benchContent = func() string {
	var b strings.Builder
	b.WriteString("name: webshop\nframeworks: [nist-800-53-r5]\ncomponents:\n")
	for i := range 30 {
		fmt.Fprintf(&b, "  - name: component-%02d\n    service: aws/lambda\n", i)
	}
	return b.String()
}()

// Bench measures the store: writes/s (a document update, which is one
// transaction with its audit event) and reads/s (the latest revision
// with its content, and token authentication), serially and from
// parallel goroutines.
func Bench(b *testing.B, open func(testing.TB) demarc.Store) {
	b.Run("Write", func(b *testing.B) {
		s := open(b)
		a := newTenant(b, s, "bench")
		rev := a.document(b, s, demarc.DocSystem, "webshop", benchContent)
		c := ctx(b)
		b.ResetTimer()
		for i := range b.N {
			_, err := s.UpdateDocument(c, a.by, a.org.ID, rev.Document, i+1, demarc.DocumentInput{Name: "webshop", Content: []byte(benchContent + fmt.Sprintf("# %d\n", i))})
			if err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b, "writes/s")
	})
	b.Run("WriteParallel", func(b *testing.B) {
		s := open(b)
		c := ctx(b)
		// One organisation and document per goroutine: writers contend
		// only where the backend serialises them.
		type writer struct {
			a   tenant
			doc demarc.DocumentID
		}
		writers := make([]writer, runtime.GOMAXPROCS(0))
		for i := range writers {
			a := newTenant(b, s, fmt.Sprintf("bench%d", i))
			writers[i] = writer{a, a.document(b, s, demarc.DocSystem, "webshop", benchContent).Document}
		}
		var next atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			w := writers[int(next.Add(1)-1)%len(writers)]
			for version := 1; pb.Next(); version++ {
				_, err := s.UpdateDocument(c, w.a.by, w.a.org.ID, w.doc, version, demarc.DocumentInput{Name: "webshop", Content: []byte(benchContent + fmt.Sprintf("# %d\n", version))})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		perSecond(b, "writes/s")
	})
	b.Run("Read", func(b *testing.B) {
		s := open(b)
		a := newTenant(b, s, "bench")
		rev := a.document(b, s, demarc.DocSystem, "webshop", benchContent)
		c := ctx(b)
		b.ResetTimer()
		for range b.N {
			if _, err := s.Revision(c, a.org.ID, rev.Document, 0); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b, "reads/s")
	})
	b.Run("ReadParallel", func(b *testing.B) {
		s := open(b)
		a := newTenant(b, s, "bench")
		rev := a.document(b, s, demarc.DocSystem, "webshop", benchContent)
		c := ctx(b)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Revision(c, a.org.ID, rev.Document, 0); err != nil {
					b.Error(err)
					return
				}
			}
		})
		perSecond(b, "reads/s")
	})
	b.Run("Authenticate", func(b *testing.B) {
		s := open(b)
		a := newTenant(b, s, "bench")
		secret, hash, hint, err := demarc.NewToken()
		must(b, err)
		_, err = s.CreateToken(ctx(b), a.by, a.org.ID, demarc.TokenInput{Member: a.owner.ID, Name: "bench", Hash: hash, Hint: hint})
		must(b, err)
		c := ctx(b)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := s.Authenticate(c, demarc.HashToken(secret)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		perSecond(b, "auths/s")
	})
}

func perSecond(b *testing.B, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}
