//go:build !windows

package discover

import (
	"strings"
	"testing"

	"github.com/packline/packline/drivers/deviceuri"
)

func TestParseLpstatNames(t *testing.T) {
	got := parseLpstat("label4x6\n", "device for  label4x6 : socket://10.1.2.9\ndevice for  :\ndevice for \t: usb://Zebra\n", nil)
	if len(got) != 1 || got[0].Target != "label4x6" || got[0].Description != "socket://10.1.2.9" {
		t.Fatalf("parseLpstat = %+v, want label4x6 on socket://10.1.2.9 alone", got)
	}
}

func TestParseLpstatNoBadTCPAdvice(t *testing.T) {
	for _, dev := range []string{"socket://%", "socket://10.1.2.9:", "socket://a]b", "socket://:9100"} {
		got := parseLpstat("zebra\n", "device for zebra: "+dev+"\n", nil)
		if len(got) != 1 || strings.Contains(got[0].Note, "tcp://") {
			t.Errorf("%s: %+v, want no zpl+tcp:// advice", dev, got)
		}
	}
	got := parseLpstat("zebra\n", "device for zebra: socket://[fe80::1%25eth0]:9100\n", nil)
	if len(got) != 1 || !strings.Contains(got[0].Note, "zpl+tcp://[fe80::1%25eth0]:9100 ") {
		t.Errorf("IPv6 with a zone: %+v", got)
	}
}

func FuzzParseLpstat(f *testing.F) {
	f.Add("label4x6\noffice\nshipping\nremote\n",
		"device for label4x6: socket://10.1.2.9\n"+
			"device for office: usb://HP/LaserJet%20P1102?serial=000000\n"+
			"device for shipping: usb://Zebra%20Technologies/ZTC%20GK420d?serial=28J1\n"+
			"device for remote: ipp://printsrv.local/printers/labels\n")
	f.Add("label4x6\n", "device for label4x6: socket://[fe80::1%25eth0]:9100\n")
	f.Add("zebra\n", "device for zebra:socket://10.0.0.7:6101\n")
	f.Add("lpstat: No destinations added.\n", "")
	f.Add("", "device for tsc: usb://TSC/TTP-244%20Pro?serial=A1\ndevice for dnssd: dnssd://Zebra._pdl-datastream._tcp.local/\n")
	f.Add("label4x6  accepting requests since Tue 06 Jan 2026\n", "device for label4x6: implicitclass://label4x6/\n")
	f.Fuzz(func(t *testing.T, dests, devices string) {
		var asked []string
		ps := parseLpstat(dests, devices, func(q string) bool {
			asked = append(asked, q)
			return len(q)%2 == 0
		})
		seen := map[string]bool{}
		for _, p := range ps {
			if p.Transport != "cups" || p.Target == "" || seen[p.Target] {
				t.Fatalf("printer %+v (of %+v)", p, ps)
			}
			seen[p.Target] = true
			if !strings.Contains(dests, p.Target) && !strings.Contains(devices, p.Target) {
				t.Fatalf("queue %q named nowhere", p.Target)
			}
			u, err := deviceuri.Parse(p.URI())
			if err != nil || u.Protocol != p.Language || u.Transport != "cups" || u.Target != p.Target {
				t.Fatalf("%+v: URI %q parses to %+v, %v", p, p.URI(), u, err)
			}
			if p.Raw && !strings.HasPrefix(p.Description, "raw queue") {
				t.Fatalf("raw queue %+v", p)
			}
			if tip, ok := strings.CutPrefix(p.Note, "CUPS passes jobs on to a network printer: "); ok {
				uri, _, _ := strings.Cut(tip, " prints there directly")
				if u, err := deviceuri.Parse(uri); err != nil || u.Transport != "tcp" {
					t.Fatalf("%+v: suggested %q does not parse: %v", p, uri, err)
				}
			}
		}
		for _, q := range asked {
			if !seen[q] {
				t.Fatalf("asked whether %q is raw, not a listed queue", q)
			}
		}
	})
}
