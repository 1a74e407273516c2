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
	// JOB_INFO_1W: a DWORD padded to a pointer, six pointers, five
	// DWORDs, a SYSTEMTIME, padded to a pointer.
	ptr := unsafe.Sizeof(uintptr(0))
	want = (7*ptr + 5*4 + 16 + ptr - 1) &^ (ptr - 1)
	if got := unsafe.Sizeof(jobInfo1{}); got != want {
		t.Fatalf("JOB_INFO_1W is %d bytes, want %d", got, want)
	}
	if got := unsafe.Offsetof(jobInfo1{}.status); got != 7*ptr {
		t.Fatalf("JOB_INFO_1W Status is at %d, want %d", got, 7*ptr)
	}
}

func TestWinspoolDatatypeParam(t *testing.T) {
	for in, want := range map[string]string{"": datatypeAuto, "auto": datatypeAuto, "RAW": datatypeRAW, "xps_pass": datatypeXPSPass} {
		tr, err := newWinspool("Zebra", in)
		if err != nil {
			t.Fatalf("datatype=%q: %v", in, err)
		}
		if got := tr.(*winspoolTransport).datatype; got != want {
			t.Errorf("datatype=%q: %q, want %q", in, got, want)
		}
	}
	if _, err := newWinspool("Zebra", "EMF"); err == nil {
		t.Fatal("datatype=EMF accepted")
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
