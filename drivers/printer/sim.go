package printer

import (
	"fmt"
	"log/slog"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/printer/printersim"
)

// openSim starts an in-process printer simulator on 127.0.0.1 and returns
// a printer that talks to it over TCP like a real one.
func openSim(uri deviceuri.URI, media Media, log *slog.Logger) (Printer, error) {
	if uri.Target != "printer" {
		return nil, fmt.Errorf("device %s: the simulated printer is sim://printer?dir=DIR", uri)
	}
	langName := uri.Param("lang", "zpl")
	lang, err := languageFor(deviceuri.URI{Protocol: langName, Params: uri.Params})
	if err != nil {
		return nil, err
	}
	tm, err := timeoutsFor(uri)
	if err != nil {
		return nil, err
	}
	sim := printersim.New(printersim.Options{Dir: uri.Param("dir", ""), Language: langName, DPI: media.DPI, Logger: log})
	addr, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := newDevice(uri, lang, &tcpTransport{addr: addr, tm: tm}, media, tm, log)
	d.sim = sim
	return d, nil
}

// Simulator returns the simulator behind a printer opened from
// sim://printer, so a demo or test can switch its faults.
func Simulator(p Printer) (*printersim.Sim, bool) {
	d, ok := p.(*device)
	if !ok || d.sim == nil {
		return nil, false
	}
	return d.sim, true
}
