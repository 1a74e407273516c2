package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/engine"
	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/drivers/printer"
	"github.com/packline/packline/drivers/scale"
)

type orderBox = order.Box

// watchDevices reports each station's scale and printer state to the
// engine once a second, so stations and metrics see an unplugged device.
func watchDevices(ctx context.Context, eng *engine.Engine, cfg *config.Config, monitors map[string]*scale.Monitor, queues map[string]*printer.Queue) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := map[string]apitype.DeviceStatus{}
	report := func(station string, st apitype.DeviceStatus) {
		key := station + "/" + st.Kind
		if prev, ok := last[key]; ok && prev.State == st.State && prev.Detail == st.Detail {
			return
		}
		last[key] = st
		eng.SetDevice(station, st)
	}
	for {
		for _, s := range cfg.Stations {
			if m := monitors[s.ID]; m != nil {
				ms := m.State()
				st := apitype.DeviceStatus{Kind: "scale", URI: s.Scale, State: apitype.DeviceOK, Since: ms.Since}
				if !ms.Connected {
					st.State, st.Detail = apitype.DeviceOffline, ms.Err
				}
				report(s.ID, st)
			}
			if q := queues[s.ID]; q != nil {
				qs := q.State()
				st := apitype.DeviceStatus{Kind: "printer", URI: s.Printer, State: apitype.DeviceOK, Since: time.Now()}
				if qs.PrinterError != "" {
					st.State, st.Detail = apitype.DeviceError, qs.PrinterError
				} else if qs.Depth > 0 {
					st.Detail = fmt.Sprintf("%d label(s) waiting", qs.Depth)
				}
				report(s.ID, st)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
