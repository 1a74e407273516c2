package discover

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

// ieee1284IDs are device ids as printers report them, with and without
// the two-byte length they send first.
var ieee1284IDs = []string{
	"MANUFACTURER:Zebra Technologies ;COMMAND SET:ZPL;MODEL:ZTC ZP 450-200dpi;CLASS:PRINTER;OPTIONS:XML;",
	"MFG:TSC;CMD:TSPL2;MDL:TTP-244 Pro;CLS:PRINTER;",
	"\x00\x25mfg:TSC;cmd:TSPL2;mdl:TTP-244 Pro;",
	"MFG:Zebra;CMD:EPL2,ZPL;MDL:LP 2844-Z;CLS:PRINTER;DES:Zebra LP 2844-Z;",
	"MFG:Eltron;CMD:EPL2;MDL:LP2844;",
	"MFG:Gprinter;CMD:TSPL,EPL;MDL:GP-1324D;",
	"MFG:HP;MDL:LaserJet P1102;CMD:PJL,PCL,ZPLII;CLS:PRINTER;",
	"garbage",
	"",
}

// withLength puts the big-endian two-byte length IEEE 1284 sends before
// a device id (the length counts itself).
func withLength(id string) string {
	n := len(id) + 2
	return string([]byte{byte(n >> 8), byte(n)}) + id
}

func FuzzParseIEEE1284ID(f *testing.F) {
	for _, id := range ieee1284IDs {
		f.Add(id)
	}
	f.Add("MFG:Zebra Technologies;CMD:ZPL;MDL:ZTC ZP 450-200dpi;CLS:PRINTER;XYZ") // 58 bytes with the length
	f.Fuzz(func(t *testing.T, id string) {
		fields := ParseIEEE1284ID(id)
		for k, v := range fields {
			if k == "" || k != strings.ToUpper(strings.TrimSpace(k)) || strings.ContainsAny(k, ":;") {
				t.Fatalf("%q: key %q", id, k)
			}
			if v != strings.TrimSpace(v) || strings.Contains(v, ";") {
				t.Fatalf("%q: %s is %q", id, k, v)
			}
			switch k {
			case "MANUFACTURER", "MODEL", "COMMAND SET", "COMMANDSET", "DESCRIPTION", "CLASS":
				t.Fatalf("%q: long name %s not folded", id, k)
			}
		}
		_ = LanguageFromCommandSet(fields["CMD"])
		// The length a printer sends first does not change the fields.
		if len(id) < 2 || id[0] >= ' ' && id[1] >= ' ' && len(id) < 8000 {
			if got := ParseIEEE1284ID(withLength(id)); !maps.Equal(got, fields) {
				t.Fatalf("%q with its length: %q, without: %q", id, got, fields)
			}
		}
	})
}

func FuzzGuessLanguage(f *testing.F) {
	for _, id := range ieee1284IDs {
		fields := ParseIEEE1284ID(id)
		f.Add(fields["CMD"], fields["MDL"]+" "+fields["MFG"])
	}
	for _, name := range []string{"ZDesigner ZD420-203dpi ZPL", "ZDesigner GK420d (EPL)", "Zebra LP 2844-Z", "ZDesigner LP 2844", "TSC TTP-244 Pro", "label4x6", "Microsoft Print to PDF"} {
		f.Add("", name)
	}
	f.Add("ESC/POS,CPCL", "HP LaserJet")
	f.Fuzz(func(t *testing.T, cmd, name string) {
		known := map[string]bool{"": true, "zpl": true, "epl": true, "tspl": true}
		lc, ln := LanguageFromCommandSet(cmd), GuessLanguage(name)
		if !known[lc] || !known[ln] {
			t.Fatalf("LanguageFromCommandSet(%q) = %q, GuessLanguage(%q) = %q", cmd, lc, name, ln)
		}
		// Case and the separators around the words do not matter.
		if got := GuessLanguage("(" + strings.ToUpper(name) + ")"); got != ln && strings.ToUpper(strings.ToLower(name)) == strings.ToUpper(name) && strings.ToLower(strings.ToUpper(name)) == strings.ToLower(name) {
			t.Fatalf("GuessLanguage(%q) = %q, of it upper-cased %q", name, ln, got)
		}
		if got := LanguageFromCommandSet(strings.ToLower(cmd) + ","); got != lc && strings.ToUpper(strings.ToLower(cmd)) == strings.ToUpper(cmd) {
			t.Fatalf("LanguageFromCommandSet(%q) = %q, of it lower-cased %q", cmd, lc, got)
		}
		var p Printer
		p.setLanguage(cmd, name)
		switch {
		case p.Language == "" || !known[p.Language]:
			t.Fatalf("setLanguage(%q, %q): language %q", cmd, name, p.Language)
		case lc != "" && p.Language != lc, lc == "" && ln != "" && p.Language != ln:
			t.Fatalf("setLanguage(%q, %q) = %q; command set says %q, name %q", cmd, name, p.Language, lc, ln)
		case p.Guessed != (lc == "" && ln == ""), p.Guessed != (p.Note != ""):
			t.Fatalf("setLanguage(%q, %q): guessed %v, note %q", cmd, name, p.Guessed, p.Note)
		}
	})
}

func FuzzUSBIDs(f *testing.F) {
	for _, ids := range [][]string{
		{`USB\VID_2341&PID_0043&REV_0001`, `USB\VID_2341&PID_0043`},
		{`FTDIBUS\VID_0403+PID_6001+A10KHTR4A\0000`},
		{`usb\vid_067b&pid_2303&rev_0300`},
		{`ACPI\PNP0501`, `*PNP0501`},
		{`USB\VID_12`},
		{`USB\VID_ZZZZ&PID_0001`},
		{`USB\VID_1A86&PID_7523`},
	} {
		f.Add(strings.Join(ids, "\x00"), "COM3", "USB Serial Device (COM3)")
	}
	f.Add("", "LPT1", "Printer Port (LPT1)")
	f.Add(`USB\VID_2341&PID_0043`, "com10", "")
	f.Fuzz(func(t *testing.T, multi, port, friendly string) {
		ids := strings.Split(multi, "\x00")
		vid, pid, ok := USBIDs(ids)
		if !ok {
			if vid != 0 || pid != 0 {
				t.Fatalf("USBIDs(%q) = %04x:%04x without ids", ids, vid, pid)
			}
		} else {
			found := false
			for _, id := range ids {
				up := strings.ToUpper(id)
				if strings.Contains(up, fmt.Sprintf("VID_%04X", vid)) && strings.Contains(up, fmt.Sprintf("PID_%04X", pid)) {
					found = true
					break
				}
			}
			if !found {
				t.Fatalf("USBIDs(%q) = %04x:%04x, which no id names", ids, vid, pid)
			}
		}
		// comPortsFrom keeps every COM port, with the ids SetupAPI told.
		dev := comDevice{Port: port, FriendlyName: friendly, HardwareIDs: ids}
		got := comPortsFrom(map[string]string{`\Device\Serial0`: "COM1"}, []comDevice{dev})
		want := 1
		if isCOM(port) && !strings.EqualFold(port, "COM1") {
			want = 2
		}
		if len(got) != want {
			t.Fatalf("%+v: ports %+v", dev, got)
		}
		for i, p := range got {
			if p.Kind != "serial" || !isCOM(p.Path) || i > 0 && comNumber(got[i-1].Path) > comNumber(p.Path) {
				t.Fatalf("%+v: ports %+v", dev, got)
			}
			if strings.EqualFold(p.Path, port) && ok && (p.VID != vid || p.PID != pid || !strings.HasSuffix(p.Description, fmt.Sprintf("USB %04x:%04x", vid, pid)) || strings.TrimSpace(friendly) == "" && !strings.EqualFold(port, "COM1") && p.Description != fmt.Sprintf("USB %04x:%04x", vid, pid)) {
				t.Fatalf("%+v: port %+v", dev, p)
			}
		}
	})
}
