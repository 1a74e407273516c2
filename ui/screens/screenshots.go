package screens

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/ui/client"
	"github.com/packline/packline/ui/state"
	"github.com/packline/packline/ui/theme"
)

// ScreenSize is the smallest screen the station app is laid out for.
var ScreenSize = fyne.NewSize(1366, 768)

// Scene is one named state of the pack screen, for screenshots and
// rendering tests. Keys are pressed once the screen is shown, e.g. F8 to
// open the lead-override dialog.
type Scene struct {
	Name  string
	Model *state.Model
	Keys  []fyne.KeyName
}

// Scenes returns the pack screen's main states with realistic data, as
// they look at now.
func Scenes(now time.Time) []Scene {
	yes, no := true, false
	order := func(got ...int) *apitype.OrderView {
		lines := []apitype.LineView{
			{SKUID: "1729", SellerSKU: "MUG-BLU-12", Name: "Stoneware mug, blue, 12 oz", Want: 2},
			{SKUID: "1730", SellerSKU: "COAST-4", Name: "Cork coasters (set of 4)", Want: 1},
			{SKUID: "1731", SellerSKU: "CARD-THX", Name: "Thank-you card", Want: 1, Gift: true},
		}
		for i := range lines {
			if i < len(got) {
				lines[i].Got = got[i]
			}
		}
		return &apitype.OrderView{ID: "576461413038785752", State: "claimed", Status: "AWAITING_SHIPMENT", Deadline: now.Add(2*time.Hour + 14*time.Minute),
			Recipient: "J. Rivera, Austin TX 78701", BuyerMessage: "Please wrap the mugs well", Lines: lines}
	}
	queue := []apitype.QueueEntry{
		{OrderID: "576461413038785752", Deadline: now.Add(2*time.Hour + 14*time.Minute), Urgency: apitype.UrgencyDue, Units: 4, ClaimedBy: "P1"},
		{OrderID: "576461413012345001", Deadline: now.Add(-35 * time.Minute), Urgency: apitype.UrgencyLate, Units: 1, Exception: "weight +140 g"},
		{OrderID: "576461413012345002", Deadline: now.Add(5*time.Hour + 2*time.Minute), Urgency: apitype.UrgencySoon, Units: 2},
		{OrderID: "576461413012345003", Deadline: now.Add(26 * time.Hour), Urgency: apitype.UrgencyNormal, Units: 3, Staged: true},
		{OrderID: "576461413012345004", Deadline: now.Add(30 * time.Hour), Urgency: apitype.UrgencyNormal, Units: 1},
		{OrderID: "576461413012345005", Deadline: now.Add(49 * time.Hour), Urgency: apitype.UrgencyNormal, Units: 6, ClaimedBy: "P2"},
	}
	devices := []apitype.DeviceStatus{
		{Kind: "scale", URI: "nci+serial:///dev/ttyUSB0", State: apitype.DeviceOK},
		{Kind: "printer", URI: "zpl+tcp://10.1.2.9:9100", State: apitype.DeviceOK},
	}
	box := &apitype.Box{Code: "BOX-M2", Name: "M2", Dimensions: "30 x 22 x 15 cm", TareGrams: 180}
	base := func() *state.Model {
		m := state.NewModel("P1")
		m.Welcome(apitype.Welcome{Version: apitype.Version, Station: "P1", AgentVersion: "1.0.0", Seq: 1})
		m.SetConn(client.Connected, nil)
		m.Queue = queue
		m.Devices = append([]apitype.DeviceStatus(nil), devices...)
		m.Link = apitype.Link{Online: true}
		return m
	}
	var scenes []Scene
	add := func(name string, f func(m *state.Model), keys ...fyne.KeyName) {
		m := base()
		f(m)
		scenes = append(scenes, Scene{Name: name, Model: m, Keys: keys})
	}
	add("idle", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseIdle, Prompt: "Scan an order's packing slip or pick the most urgent from the queue."}
		m.Reading = &apitype.Reading{Grams: 0, Display: "0.000 kg", Stable: true, Zero: true}
	})
	add("scanning", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseScanning, Order: order(2, 0, 1), Prompt: "Scan the cork coasters."}
	})
	add("wrong-item", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseScanning, Order: order(1, 0, 0), Prompt: "Scan the items."}
		m.Alert = &apitype.Alert{Kind: apitype.AlertWrongItem, Title: "Wrong item", Detail: "LAMP-GRN-S (desk lamp, green) is not in order 576461413038785752. Put it back.", Sound: "error"}
	})
	add("extra-unit", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseScanning, Order: order(2, 0, 1), Prompt: "Scan the cork coasters."}
		m.Alert = &apitype.Alert{Kind: apitype.AlertExtraUnit, Title: "Extra unit", Detail: "order needs 2 of Stoneware mug, blue, 12 oz, this would be the 3rd: take it out of the box", Sound: "error"}
	})
	add("boxing", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseBoxing, Order: order(2, 1, 1), Prompt: "Every item is in: scan the box"}
		m.Reading = &apitype.Reading{Grams: 0, Display: "0.000 kg", Stable: true, Zero: true}
	})
	add("weighing-in-tolerance", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseWeighing, Order: order(2, 1, 1), Box: box, Prompt: "Weight in tolerance: press F2 to accept.",
			ExpectedGrams: 1250, ToleranceGrams: 50}
		m.Reading = &apitype.Reading{Grams: 1262, Display: "1.262 kg", Stable: true}
	})
	add("weight-exception", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseException, Order: order(2, 1, 1), Box: box, Prompt: "Box is 140 g heavier than expected: check for an extra item, or a lead overrides with F8.",
			ExpectedGrams: 1250, ToleranceGrams: 50, MeasuredGrams: 1390, WeightOK: &no, Exception: "weight out of tolerance"}
		m.Reading = &apitype.Reading{Grams: 1390, Display: "1.390 kg", Stable: true}
	})
	add("lead-override", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseException, Order: order(2, 1, 1), Box: box, Prompt: "Box is 140 g heavier than expected: check for an extra item, or a lead overrides with F8.",
			ExpectedGrams: 1250, ToleranceGrams: 50, MeasuredGrams: 1390, WeightOK: &no, Exception: "weight out of tolerance"}
		m.Reading = &apitype.Reading{Grams: 1390, Display: "1.390 kg", Stable: true}
	}, fyne.KeyF8)
	add("buying-label", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseBuying, Order: order(2, 1, 1), Box: box, Prompt: "Buying label…",
			ExpectedGrams: 1250, ToleranceGrams: 50, MeasuredGrams: 1262, WeightOK: &yes,
			Label: &apitype.LabelView{DeclaredWeight: "2.79 lb"}}
		m.Reading = &apitype.Reading{Grams: 1262, Display: "1.262 kg", Stable: true}
	})
	add("printing-label", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhasePrinting, Order: order(2, 1, 1), Box: box, Prompt: "Printing label…",
			ExpectedGrams: 1250, ToleranceGrams: 50, MeasuredGrams: 1262, WeightOK: &yes,
			Label: &apitype.LabelView{PackageID: "1153132168123", TrackingNumber: "9400111206213412345678", Carrier: "USPS", Service: "Ground Advantage", DeclaredWeight: "2.79 lb"}}
		m.Reading = &apitype.Reading{Grams: 1262, Display: "1.262 kg", Stable: true}
	})
	add("label-printed", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseDone, Order: order(2, 1, 1), Box: box, Prompt: "Stick the label on and scan it to confirm, or scan the next order.",
			ExpectedGrams: 1250, ToleranceGrams: 50, MeasuredGrams: 1262, WeightOK: &yes,
			Label: &apitype.LabelView{PackageID: "1153132168123", TrackingNumber: "9400111206213412345678", Carrier: "USPS", Service: "Ground Advantage", DeclaredWeight: "2.79 lb", Printed: true, PreviewPNG: samplePreview("9400111206213412345678")}}
		m.Reading = &apitype.Reading{Grams: 1262, Display: "1.262 kg", Stable: true}
	})
	add("offline-staged", func(m *state.Model) {
		m.Link = apitype.Link{Online: false, Detail: "dial tcp: i/o timeout", OutboxDepth: 7, Staged: 3}
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseStaged, Order: order(2, 1, 1), Box: box, Prompt: "Packed and weighed. Put the box on the staging shelf: its label prints when the internet is back.",
			ExpectedGrams: 1250, ToleranceGrams: 50, MeasuredGrams: 1262, WeightOK: &yes}
		m.Reading = &apitype.Reading{Grams: 1262, Display: "1.262 kg", Stable: true}
	})
	add("order-cancelled", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseIdle, Prompt: "Scan an order's packing slip or pick the most urgent from the queue."}
		m.Alert = &apitype.Alert{Kind: apitype.AlertCancelled, Title: "Order cancelled: do not ship", Detail: "order 576461413038785752 was cancelled: do not ship it; put the items back and give the box to a lead", Sound: "error"}
	})
	add("agent-disconnected", func(m *state.Model) {
		m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseScanning, Order: order(1, 0, 0), Prompt: "Scan the items."}
		m.SetConn(client.Disconnected, errors.New("dial tcp 127.0.0.1:7420: connection refused"))
		m.Notice = client.Describe(client.ErrNotConnected)
	})
	return scenes
}

// samplePreview draws a small label-like PNG with a real Code 128 barcode.
func samplePreview(tracking string) []byte {
	img := image.NewGray(image.Rect(0, 0, 300, 450))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for x := 10; x < 290; x++ {
		img.SetGray(x, 10, color.Gray{})
		img.SetGray(x, 120, color.Gray{})
	}
	if bc, err := code128.Encode(tracking); err == nil {
		if scaled, err := barcode.Scale(bc, 280, 120); err == nil {
			draw.Draw(img, image.Rect(10, 300, 290, 420), scaled, image.Point{}, draw.Src)
		}
	}
	for y := 140; y < 280; y += 18 {
		for x := 20; x < 20+(y*7)%240; x++ {
			img.SetGray(x, y, color.Gray{})
			img.SetGray(x, y+1, color.Gray{})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// Render draws the station screen for the scene at size and scale with
// Fyne's software renderer; it needs no display. It replaces the current
// Fyne app with a test app, so call it only where no real app runs.
func Render(sc Scene, now time.Time, size fyne.Size, scale float32) image.Image {
	// Fyne treats the main goroutine as its UI thread; the test driver
	// expects to be driven from elsewhere.
	done := make(chan image.Image)
	go func() { done <- render(sc, now, size, scale) }()
	return <-done
}

func render(sc Scene, now time.Time, size fyne.Size, scale float32) image.Image {
	a := test.NewApp()
	a.Settings().SetTheme(theme.New())
	st := NewStation(sc.Model, Options{Now: func() time.Time { return now }, Do: func(f func()) { f() }})
	w := test.NewWindow(st.Content())
	defer w.Close()
	st.Attach(w)
	if c, ok := w.Canvas().(test.WindowlessCanvas); ok {
		c.SetScale(scale)
	}
	w.Resize(size)
	// Wrapped labels learn their height from their first width: lay the
	// screen out once more now that every part has its final width.
	w.Content().Refresh()
	for _, k := range sc.Keys {
		st.key(k)
	}
	return w.Canvas().Capture()
}

// Screenshots renders every scene at 1366x768 (and the scanning scene
// again at HiDPI scale 2) into dir as PNG files and returns their paths.
func Screenshots(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating screenshot directory: %w", err)
	}
	now := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	var paths []string
	write := func(name string, img image.Image) error {
		p := filepath.Join(dir, name+".png")
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return fmt.Errorf("encoding %s: %w", p, err)
		}
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing screenshot: %w", err)
		}
		paths = append(paths, p)
		return nil
	}
	for i, sc := range Scenes(now) {
		if err := write(fmt.Sprintf("pack-%02d-%s", i+1, sc.Name), Render(sc, now, ScreenSize, 1)); err != nil {
			return paths, err
		}
	}
	hidpi := Scenes(now)[1]
	if err := write("pack-02-"+hidpi.Name+"-hidpi", Render(hidpi, now, ScreenSize, 2)); err != nil {
		return paths, err
	}
	return paths, nil
}
