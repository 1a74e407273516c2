package label

import (
	"context"
	"testing"
	"time"
)

// FuzzRender feeds arbitrary bytes to Render: it must return a bitmap of
// the canvas size or an error, never panic or hang (a render running past
// its deadline is stopped and is an error like any other).
//
// Every fuzz worker compiles PDFium when it starts, and the fuzzer restarts
// a worker whose minimisation overruns, so keep minimisation short:
//
//	go test -run '^$' -fuzz FuzzRender -fuzzminimizetime 5s ./drivers/label
func FuzzRender(f *testing.F) {
	good := tiktokPDF(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(makePDF(f, testLabel{tracking: "1Z999AA10123456784", landscape: true}))
	f.Add(makePDF(f, testLabel{tracking: tracking, password: "x"}))
	f.Add(noPagesPDF())
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"))
	f.Add([]byte("%PDF-"))
	f.Add([]byte{})
	r := renderer(f)
	f.Fuzz(func(t *testing.T, pdf []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b, err := r.Render(ctx, pdf, Spec{DPI: 203})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if b.Width != 812 || b.Height != 1218 || b.Validate() != nil {
			t.Fatalf("bitmap %dx%d stride %d len %d, want a valid 812x1218", b.Width, b.Height, b.Stride, len(b.Bits))
		}
	})
}
