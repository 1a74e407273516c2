//go:build windows

package printer

import (
	"context"
	"errors"
	"testing"
	"unsafe"

	"github.com/packline/packline/drivers/deviceuri"
)

func TestPrinterInfo2Layout(t *testing.T) {
	// PRINTER_INFO_2W: 13 pointers and 8 DWORDs.
	want := 13*unsafe.Sizeof(uintptr(0)) + 8*4
	if got := unsafe.Sizeof(printerInfo2{}); got != want {
		t.Fatalf("PRINTER_INFO_2W is %d bytes, want %d", got, want)
	}
	if got := unsafe.Sizeof(docInfo1{}); got != 3*unsafe.Sizeof(uintptr(0)) {
		t.Fatalf("DOC_INFO_1W is %d bytes", got)
	}
}

func TestWinspoolMissingPrinter(t *testing.T) {
	p, err := Open(deviceuri.MustParse("zpl+winspool://Packline No Such Printer 7f3a"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	err = p.Print(context.Background(), Job{ID: "w", Image: randomLabel(1, 64, 64)})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
}
