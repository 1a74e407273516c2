package scale

import "testing"

func TestTCPAddress(t *testing.T) {
	for name, want := range map[string]string{
		"10.1.2.3:4001":         "10.1.2.3:4001",
		"tcp://10.1.2.3:4001":   "10.1.2.3:4001",
		"TCP://moxa-3.lan:4001": "moxa-3.lan:4001",
		"[fe80::1]:4001":        "[fe80::1]:4001",
		"scale-server:950":      "scale-server:950",
		"0922:8003":             "", // a HID VID:PID
		"/dev/ttyUSB0":          "",
		"COM3":                  "",
		`\\.\COM10`:             "",
		"/dev/hidraw0":          "",
		"host:http":             "",
		":4001":                 "",
		"tcp://no-port":         "",
	} {
		got, ok := TCPAddress(name)
		if ok != (want != "") || got != want && ok {
			t.Errorf("TCPAddress(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}
