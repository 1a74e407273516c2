package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"

	"github.com/packline/packline/agent/engine"
	"github.com/packline/packline/agent/localapi"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/tiktok"
	"github.com/packline/packline/drivers/label"
	"github.com/packline/packline/drivers/printer"
	"github.com/packline/packline/drivers/raster"
	"github.com/packline/packline/drivers/scale"
)

// shop adapts the TikTok Shop client to the engine's Shop, translating its
// errors into the engine's decisions: offline, try later, unclear, not found.
type shop struct {
	c *tiktok.Client
	// docSize is the label size asked for (tiktok.document_size: A6 or A5).
	docSize string
}

var _ engine.Shop = shop{}

// The engine tells the local API which stations exist.
var _ localapi.StationLister = (*engine.Engine)(nil)

func (s shop) OrderDetail(ctx context.Context, id string) (order.Order, error) {
	orders, err := s.c.OrderDetail(ctx, []string{id})
	if err != nil {
		return order.Order{}, upstreamErr(err)
	}
	for _, o := range orders {
		if o.ID == id {
			return o.Domain(), nil
		}
	}
	return order.Order{}, fmt.Errorf("order %s: %w", id, engine.ErrNotFound)
}

func (s shop) OrderPackages(ctx context.Context, orderID string) ([]engine.Package, error) {
	pkgs, err := s.c.OrderPackages(ctx, orderID)
	if err != nil {
		return nil, upstreamErr(err)
	}
	out := make([]engine.Package, 0, len(pkgs))
	for _, p := range pkgs {
		if p.Cancelled() {
			continue
		}
		out = append(out, engine.Package{ID: p.PackageID, LineItemIDs: p.OrderLineItemIDs, TrackingNumber: p.TrackingNumber,
			Status: p.PackageStatus, Carrier: p.ShippingProviderName})
	}
	return out, nil
}

func (s shop) CreatePackage(ctx context.Context, r engine.PackageRequest) (engine.Package, error) {
	req := tiktok.CreatePackageRequest{OrderID: r.OrderID, LineItemIDs: r.LineItemIDs, Weight: tiktok.Weight{Value: r.Weight, Unit: r.WeightUnit}}
	if r.Length != "" {
		req.Dimension = &tiktok.Dimension{Length: r.Length, Width: r.Width, Height: r.Height, Unit: r.DimUnit}
	}
	p, err := s.c.CreatePackage(ctx, req)
	if err != nil {
		return engine.Package{}, upstreamErr(err)
	}
	return engine.Package{ID: p.PackageID, LineItemIDs: p.OrderLineItemIDs, Carrier: p.ShippingServiceInfo.ShippingProviderName,
		Service: p.ShippingServiceInfo.Name}, nil
}

func (s shop) ShippingDocument(ctx context.Context, packageID string) (engine.Document, error) {
	d, err := s.c.ShippingDocument(ctx, packageID, tiktok.DocShippingLabel, s.docSize)
	if err != nil {
		return engine.Document{}, upstreamErr(err)
	}
	return engine.Document{URL: d.DocURL, TrackingNumber: d.TrackingNumber}, nil
}

func (s shop) Download(ctx context.Context, url string) ([]byte, error) {
	b, err := s.c.Download(ctx, url)
	if err != nil {
		return nil, upstreamErr(err)
	}
	return b, nil
}

// upstreamErr classifies a client error for the engine, keeping the cause.
// Only a link problem (no answer, a timeout, a 5xx or 429) makes the order
// wait for the link; an answer Packline cannot use (malformed, or a
// business refusal) goes to a lead with TikTok's words, since waiting
// would not change it.
func upstreamErr(err error) error {
	var apiErr *tiktok.APIError
	switch {
	case errors.Is(err, tiktok.ErrUnclear):
		return fmt.Errorf("%w: %w", engine.ErrUnclear, err)
	case errors.Is(err, tiktok.ErrNotFound):
		return fmt.Errorf("%w: %w", engine.ErrNotFound, err)
	case errors.Is(err, tiktok.ErrRateLimited), errors.Is(err, tiktok.ErrServer), errors.Is(err, tiktok.ErrTokenExpired):
		return fmt.Errorf("%w: %w", engine.ErrTransient, err)
	case errors.Is(err, tiktok.ErrMalformed):
		return fmt.Errorf("TikTok's answer could not be used: %w", err)
	case errors.As(err, &apiErr):
		return err
	case unreachable(err), linkFailed(err):
		return fmt.Errorf("%w: %w", engine.ErrOffline, err)
	}
	return err
}

// linkFailed reports whether err is a failure on the way to or from
// upstream: a timeout, a dropped connection or another network error.
func linkFailed(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &ne)
}

// unreachable reports whether err means the request never reached upstream.
func unreachable(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.As(err, &dns) || errors.As(err, &op) && op.Op == "dial"
}

// scaleDevice adapts a scale Monitor to the engine's Scale.
type scaleDevice struct {
	m *scale.Monitor
	n int // stable readings that make a weight
}

var _ engine.Scale = scaleDevice{}

func reading(r scale.Reading) engine.Reading {
	disp := r.Value + " " + r.Unit
	if r.Value == "" {
		disp = order.Mass(r.Micrograms).String()
	}
	return engine.Reading{Mass: order.Mass(r.Micrograms), Display: disp, Stable: r.Stable, Zero: r.Zero, Over: r.Over, Under: r.Under, Raw: r.Raw, At: r.At}
}

func (s scaleDevice) Stable(ctx context.Context) (engine.Reading, error) {
	ch, cancel := s.m.Subscribe()
	defer cancel()
	r, err := scale.CaptureStable(ctx, ch, s.n)
	if err != nil {
		return engine.Reading{}, err
	}
	return reading(r), nil
}

func (s scaleDevice) Watch(ctx context.Context, fn func(engine.Reading)) error {
	ch, cancel := s.m.Subscribe()
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case r, ok := <-ch:
			if !ok {
				return errors.New("scale monitor stopped")
			}
			fn(reading(r))
		}
	}
}

func (s scaleDevice) Zero(ctx context.Context) error { return s.m.Zero(ctx) }

// printerDevice adapts a durable print queue to the engine's Printer: a job
// counts as printed once the printer has taken it.
type printerDevice struct{ q *printer.Queue }

var _ engine.Printer = printerDevice{}

func (p printerDevice) Print(ctx context.Context, job engine.PrintJob) error {
	return p.q.Print(ctx, printer.Job{ID: job.ID, Image: job.Image, Copies: job.Copies})
}

func (p printerDevice) Reprint(ctx context.Context) error { return p.q.Reprint(ctx) }

// labeler adapts the PDF renderer to the engine's Labeler. The renderer
// starts in the background (compiling pdfium takes seconds on a cold
// cache), so the agent is ready at once and only a label waits for it.
type labeler struct {
	ready  chan struct{}
	cancel context.CancelFunc
	r      *label.Renderer
	err    error
}

var _ engine.Labeler = (*labeler)(nil)

func startLabeler(ctx context.Context, opt label.Options) *labeler {
	ctx, cancel := context.WithCancel(ctx)
	l := &labeler{ready: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(l.ready)
		l.r, l.err = label.NewRenderer(ctx, opt)
		if l.err != nil {
			l.err = fmt.Errorf("starting the label renderer: %w", l.err)
		}
	}()
	return l
}

func (l *labeler) Prepare(ctx context.Context, pdf []byte, spec engine.LabelSpec, want string) (*raster.Bitmap, error) {
	select {
	case <-l.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if l.err != nil {
		return nil, l.err
	}
	return l.r.Prepare(ctx, pdf, label.Spec{DPI: spec.DPI, Stock: spec.Stock}, want)
}

// Close closes the renderer. One still starting is abandoned at once (its
// compilation finishes and is released in the background), so stopping the
// agent never waits for a cold compilation.
func (l *labeler) Close() error {
	l.cancel()
	<-l.ready
	if l.r == nil {
		return nil
	}
	return l.r.Close()
}

// publisher forwards engine events to the local API once it exists: the
// engine is built first because the API serves it.
type publisher struct {
	to atomic.Pointer[engine.Publisher]
}

func (p *publisher) Publish(station, event string, data any) {
	if to := p.to.Load(); to != nil {
		(*to).Publish(station, event, data)
	}
}
