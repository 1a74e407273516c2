package discover

import "strings"

// Printer is one label printer found: a USB printer device file, a CUPS
// queue or a Windows spooler printer.
type Printer struct {
	// Transport is "usb", "cups" or "winspool", as in the device URI.
	Transport string
	// Target is the device file, the CUPS queue or the Windows printer
	// name.
	Target string
	// Description says what the printer is, when known: the model from
	// its IEEE 1284 device id, the CUPS device URI or the Windows driver.
	Description string
	// Language is the printer language the URI suggests: zpl, epl or
	// tspl.
	Language string
	// Guessed is true when nothing told the language and Language is the
	// zpl default.
	Guessed bool
	// Raw is true for a CUPS queue without a driver (no PPD), which
	// passes label data through untouched.
	Raw bool
	// Note is advice for this printer, or "".
	Note string
}

// URI returns the device URI suggested for p, e.g. zpl+usb:///dev/usb/lp0,
// zpl+cups://label4x6 or zpl+winspool://Zebra ZP450. A '%' or '?' in the
// target is escaped, so the URI parses back to it.
func (p Printer) URI() string {
	target := strings.NewReplacer("%", "%25", "?", "%3F").Replace(p.Target)
	return p.Language + "+" + p.Transport + "://" + target
}

// ParseIEEE1284ID splits an IEEE 1284 device id
// ("MFG:Zebra Technologies;CMD:ZPL;MDL:ZP 450;CLS:PRINTER;") into its
// fields, keyed by upper-case name with the long names folded to the short
// ones: MANUFACTURER is MFG, MODEL is MDL, COMMAND SET is CMD, DESCRIPTION
// is DES and CLASS is CLS. A leading two-byte length, as the printer sends
// it, is skipped, whatever its bytes: 58 is sent as "\x00:".
func ParseIEEE1284ID(id string) map[string]string {
	if len(id) >= 2 && (id[0] < ' ' || id[1] < ' ') {
		id = id[2:]
	}
	fields := map[string]string{}
	for _, f := range strings.Split(id, ";") {
		k, v, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		k = strings.ToUpper(strings.TrimSpace(k))
		switch k {
		case "MANUFACTURER":
			k = "MFG"
		case "MODEL":
			k = "MDL"
		case "COMMAND SET", "COMMANDSET":
			k = "CMD"
		case "DESCRIPTION":
			k = "DES"
		case "CLASS":
			k = "CLS"
		}
		if _, dup := fields[k]; !dup && k != "" {
			fields[k] = strings.TrimSpace(v)
		}
	}
	return fields
}

// LanguageFromCommandSet returns the label language an IEEE 1284 command
// set ("ZPL", "EPL2,ZPL", "TSPL2") names, or "" when it names none. ZPL
// wins over TSPL and TSPL over EPL when a printer lists several: ZPL and
// TSPL carry status replies, EPL does not.
func LanguageFromCommandSet(cmd string) string {
	var zpl, tspl, epl bool
	for _, c := range strings.FieldsFunc(strings.ToUpper(cmd), func(r rune) bool { return r == ',' || r == ' ' }) {
		switch {
		case strings.HasPrefix(c, "ZPL"):
			zpl = true
		case strings.HasPrefix(c, "TSPL"), strings.HasPrefix(c, "TSC"):
			tspl = true
		case strings.HasPrefix(c, "EPL"):
			epl = true
		}
	}
	switch {
	case zpl:
		return "zpl"
	case tspl:
		return "tspl"
	case epl:
		return "epl"
	}
	return ""
}

// GuessLanguage guesses the label language from a printer, driver, model
// or queue name, or returns "" when the name gives no hint. A language
// named in it ("ZDesigner GK420d (EPL)") counts first; then EPL-only
// models (Eltron, LP 2844 without -Z), Zebra (ZPL), and the TSPL makers
// (TSC, Gprinter, Xprinter, iDPRT).
func GuessLanguage(name string) string {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	for _, w := range words {
		switch w {
		case "zpl", "zpl2", "zplii":
			return "zpl"
		case "epl", "epl2":
			return "epl"
		case "tspl", "tspl2":
			return "tspl"
		}
	}
	has := func(ws ...string) bool {
		for _, w := range words {
			for _, x := range ws {
				if w == x {
					return true
				}
			}
		}
		return false
	}
	flat := strings.Join(words, "")
	switch {
	case has("eltron"), strings.Contains(flat, "2844") && !strings.Contains(flat, "2844z"):
		return "epl"
	case has("zebra", "zdesigner", "ztc"):
		return "zpl"
	case has("tsc", "gprinter", "xprinter", "idprt"):
		return "tspl"
	}
	return ""
}

// setLanguage fills p's language from a 1284 command set, then from the
// names given, and else defaults to zpl with a note.
func (p *Printer) setLanguage(cmd string, names ...string) {
	if l := LanguageFromCommandSet(cmd); l != "" {
		p.Language = l
		return
	}
	for _, n := range names {
		if l := GuessLanguage(n); l != "" {
			p.Language = l
			return
		}
	}
	p.Language, p.Guessed = "zpl", true
	p.Note = "language not known, zpl assumed: write epl+ or tspl+ instead if the printer speaks EPL2 or TSPL"
}
