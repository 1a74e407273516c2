package state

import (
	"encoding/json"
	"testing"

	"github.com/packline/packline/agent/localapi/apitype"
)

// FuzzApply feeds the view-model frames as the agent might send them: it
// must apply or refuse each, never panic, and keep showing something.
func FuzzApply(f *testing.F) {
	for _, seed := range []string{
		`{"type":"event","seq":3,"event":"station","data":{"station":"P1","phase":"scanning","order":{"id":"576","lines":[{"sku_id":"1","name":"Mug","want":2,"got":1}]},"prompt":"scan"}}`,
		`{"type":"event","seq":4,"event":"queue","data":[{"order_id":"576","deadline":"2026-11-25T17:00:00Z","urgency":"due","units":3}]}`,
		`{"type":"event","seq":5,"event":"reading","data":{"grams":1262.5,"display":"1.262 kg","stable":true}}`,
		`{"type":"event","seq":6,"event":"alert","data":{"kind":"wrong_item","title":"Wrong item","detail":"x","sound":"error"}}`,
		`{"type":"event","seq":7,"event":"device","data":{"kind":"scale","state":"offline"}}`,
		`{"type":"event","seq":8,"event":"link","data":{"online":false,"staged":2}}`,
		`{"type":"event","event":"station","data":{"order":{"lines":[{"want":-5,"got":9}]},"weight_ok":false,"expected_grams":-1}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		var msg apitype.Message
		if json.Unmarshal(frame, &msg) != nil {
			return
		}
		m := NewModel("P1")
		m.Apply(msg)
		m.BannerFor()
		m.WeightFor()
		m.Progress()
		QueueRows(m.Queue, m.Station, now)
		if m.Alert != nil {
			if AlertWords(*m.Alert) == "" {
				t.Error("an alert without words")
			}
			SoundFor(*m.Alert)
		}
		if m.View.Order != nil {
			for _, l := range m.View.Order.Lines {
				LineText(l)
			}
		}
		if PhaseTitle(m.View.Phase) == "" && m.View.Phase != "" {
			t.Error("a phase without a title")
		}
	})
}
