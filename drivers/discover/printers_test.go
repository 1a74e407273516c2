package discover

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/packline/packline/drivers/deviceuri"
)

func TestParseIEEE1284ID(t *testing.T) {
	got := ParseIEEE1284ID("MANUFACTURER:Zebra Technologies ;COMMAND SET:ZPL;MODEL:ZTC ZP 450-200dpi;CLASS:PRINTER;OPTIONS:XML;")
	want := map[string]string{"MFG": "Zebra Technologies", "CMD": "ZPL", "MDL": "ZTC ZP 450-200dpi", "CLS": "PRINTER", "OPTIONS": "XML"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("long names (-want +got):\n%s", d)
	}
	// As read from the printer: a two-byte big-endian length first.
	got = ParseIEEE1284ID("\x00\x25mfg:TSC;cmd:TSPL2;mdl:TTP-244 Pro;")
	want = map[string]string{"MFG": "TSC", "CMD": "TSPL2", "MDL": "TTP-244 Pro"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("with length prefix (-want +got):\n%s", d)
	}
	// A length whose low byte is ':' (58, 314, …) is a length too.
	for _, n := range []int{58, 314} {
		body := "MFG:Zebra;CMD:ZPL;MDL:ZP 450;CLS:PRINTER;"
		body += strings.Repeat("X", n-2-len(body))
		got = ParseIEEE1284ID(string([]byte{byte(n >> 8), byte(n)}) + body)
		if got["MFG"] != "Zebra" || got["CMD"] != "ZPL" {
			t.Errorf("with length %d: %q, want MFG Zebra and CMD ZPL", n, got)
		}
	}
	if got := ParseIEEE1284ID("garbage"); len(got) != 0 {
		t.Errorf("ParseIEEE1284ID(garbage) = %v, want no fields", got)
	}
}

func TestLanguageFromCommandSet(t *testing.T) {
	for cmd, want := range map[string]string{
		"ZPL":           "zpl",
		"EPL2":          "epl",
		"TSPL2":         "tspl",
		"TSC":           "tspl",
		"EPL2,ZPL":      "zpl",
		"EPL, TSPL":     "tspl",
		"ESC/POS,CPCL":  "",
		"":              "",
		"PJL,PCL,ZPLII": "zpl",
	} {
		if got := LanguageFromCommandSet(cmd); got != want {
			t.Errorf("LanguageFromCommandSet(%q) = %q, want %q", cmd, got, want)
		}
	}
}

func TestGuessLanguage(t *testing.T) {
	for name, want := range map[string]string{
		"ZDesigner ZD420-203dpi ZPL": "zpl",
		"ZDesigner GK420d (EPL)":     "epl",
		"Zebra ZP450":                "zpl",
		"ZDesigner LP 2844":          "epl",
		"Zebra LP 2844-Z":            "zpl",
		"TSC TTP-244 Pro":            "tspl",
		"Gprinter GP-1324D":          "tspl",
		"label4x6":                   "",
		"Microsoft Print to PDF":     "",
		"HP LaserJet":                "",
	} {
		if got := GuessLanguage(name); got != want {
			t.Errorf("GuessLanguage(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestPrinterURIParsesBack(t *testing.T) {
	for _, p := range []Printer{
		{Transport: "winspool", Target: "Zebra ZP450", Language: "zpl"},
		{Transport: "winspool", Target: `\\PRINTSRV\Label 100% ? #2`, Language: "tspl"},
		{Transport: "usb", Target: "/dev/usb/lp0", Language: "epl"},
		{Transport: "cups", Target: "label4x6", Language: "zpl"},
	} {
		u, err := deviceuri.Parse(p.URI())
		if err != nil || u.Protocol != p.Language || u.Transport != p.Transport || u.Target != p.Target || len(u.Params) != 0 {
			t.Errorf("%+v: URI %q parses to %+v, %v", p, p.URI(), u, err)
		}
	}
	if got := (Printer{Transport: "usb", Target: "/dev/usb/lp0", Language: "zpl"}).URI(); got != "zpl+usb:///dev/usb/lp0" {
		t.Errorf("URI = %q, want zpl+usb:///dev/usb/lp0", got)
	}
}
