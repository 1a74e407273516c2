package label

import (
	"context"
	"errors"
	"testing"
	"time"
)

// FuzzRender feeds arbitrary bytes to Render: it must return a bitmap of
// the canvas size or an error, never panic or hang.
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
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		b, err := r.Render(ctx, pdf, Spec{DPI: 203})
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("render of %d bytes did not finish in 20 s", len(pdf))
		}
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
