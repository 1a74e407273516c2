package demo

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHeadlessDemoPacksOrders runs the demo as `packline-agent demo
// --headless` does and checks what it reports against the simulator.
func TestHeadlessDemoPacksOrders(t *testing.T) {
	var out bytes.Buffer
	ctx := context.Background()
	d, err := Start(ctx, Options{Dir: t.TempDir(), Orders: 12, Out: &out, LabelCacheDir: filepath.Join(os.TempDir(), "packline-test-pdfium-cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.PackHeadless(ctx, 2); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{"refused: not_found", "label bought", "no label: the buyer", "packed 2 orders"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if got := d.Sim.TotalPurchases(); got != 2 {
		t.Errorf("simulator sold %d labels for 2 packed orders", got)
	}
	var sheet bytes.Buffer
	d.PickSheet(&sheet, 3)
	if !strings.Contains(sheet.String(), "items:") {
		t.Errorf("pick sheet: %q", sheet.String())
	}
}
