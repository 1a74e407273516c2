// Package label turns carrier PDF shipping labels into the 1-bit raster a
// thermal printer prints: it renders page 1 with PDFium (compiled to
// WebAssembly, run by wazero, so no cgo), fits it onto the label stock at
// the printer's resolution without clipping, converts it to dots without
// damaging barcodes, and reads the barcodes back to refuse a label that
// would not scan.
package label

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/packline/packline/drivers/raster"
)

// Errors a caller may test for with errors.Is. The returned errors wrap
// them with details and say what to do.
var (
	// ErrNotPDF: the bytes are not a PDF document (or are damaged beyond
	// repair).
	ErrNotPDF = errors.New("not a pdf document")
	// ErrEncrypted: the PDF needs a password to open.
	ErrEncrypted = errors.New("pdf is password protected")
	// ErrNoPages: the PDF opens but has no page.
	ErrNoPages = errors.New("pdf has no pages")
	// ErrBlankPage: page 1 renders to nothing printable.
	ErrBlankPage = errors.New("label page is blank")
	// ErrClosed: the renderer was closed.
	ErrClosed = errors.New("label renderer is closed")
)

// MaxPDFSize is the largest PDF Render accepts. Carrier labels are tens of
// kilobytes.
const MaxPDFSize = 32 << 20

// Options configures a Renderer.
type Options struct {
	// CacheDir keeps wazero's compiled PDFium between starts: the first
	// start compiles for seconds, later ones load in well under a second.
	// Empty means compile in memory on every start.
	CacheDir string
	// Logger receives warnings (multi-page labels) and PDFium's own output
	// at debug level. Nil discards.
	Logger *slog.Logger
	// Workers is the number of PDFium instances rendering at once
	// (default 1). Each holds its own WebAssembly memory.
	Workers int
	// RenderTimeout stops a render that takes longer (default 30 s): a
	// pathological PDF can keep PDFium busy for minutes, while a carrier
	// label takes tens of milliseconds.
	RenderTimeout time.Duration
}

// Renderer renders PDF labels to printer bitmaps. It is safe for
// concurrent use; at most Options.Workers renders run at once, the rest
// wait.
type Renderer struct {
	log     *slog.Logger
	timeout time.Duration
	pool    pdfium.Pool
	cache   wazero.CompilationCache
	conv    *converter

	// renders counts finished renders, to recycle instances now and then:
	// WebAssembly memory only grows.
	renders atomic.Uint64

	mu     sync.Mutex
	closed bool
}

// DefaultRenderTimeout is the render time limit when
// Options.RenderTimeout is zero.
const DefaultRenderTimeout = 30 * time.Second

// ErrTooSlow is wrapped (with context.DeadlineExceeded) by the error of a
// render that ran past Options.RenderTimeout.
var ErrTooSlow = errors.New("pdf took too long to render")

// recycleEvery is how many renders an instance serves before it is
// dropped for a fresh one, giving its grown memory back.
const recycleEvery = 200

// NewRenderer compiles (or loads from Options.CacheDir) the PDFium module
// and starts the instance pool. ctx bounds the start-up only: when it ends
// first, NewRenderer returns its error at once and the compilation is
// cleaned up in the background.
func NewRenderer(ctx context.Context, opt Options) (*Renderer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start label renderer: %w", err)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = 1
	}
	rc := wazero.NewRuntimeConfig().
		// The bundled PDFium lowers setjmp/longjmp to WebAssembly
		// exceptions.
		WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		// Cancelling a worker's context stops a render stuck in PDFium.
		WithCloseOnContextDone(true)
	var cache wazero.CompilationCache
	if opt.CacheDir != "" {
		if err := os.MkdirAll(opt.CacheDir, 0o750); err != nil {
			return nil, fmt.Errorf("start label renderer: create compilation cache directory: %w", err)
		}
		c, err := wazero.NewCompilationCacheWithDir(opt.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("start label renderer: open compilation cache %s: %w (remove the directory or point CacheDir elsewhere)", opt.CacheDir, err)
		}
		cache = c
		rc = rc.WithCompilationCache(cache)
	}
	start := time.Now()
	type started struct {
		pool pdfium.Pool
		err  error
	}
	done := make(chan started, 1)
	go func() {
		pool, err := webassembly.Init(webassembly.Config{
			// The pool outlives the start-up context.
			Context:  context.WithoutCancel(ctx),
			MinIdle:  1,
			MaxIdle:  workers,
			MaxTotal: workers,
			// No host directory is visible to PDFium: documents are
			// passed as bytes.
			FSConfig:      wazero.NewFSConfig(),
			RuntimeConfig: rc,
			Stdout:        logWriter{log: log, stream: "stdout"},
			Stderr:        logWriter{log: log, stream: "stderr"},
			ReuseWorkers:  true,
		})
		done <- started{pool, err}
	}()
	closeCache := func() {
		if cache != nil {
			_ = cache.Close(context.Background())
		}
	}
	var pool pdfium.Pool
	select {
	case s := <-done:
		if s.err != nil {
			closeCache()
			return nil, fmt.Errorf("start label renderer: %w", s.err)
		}
		pool = s.pool
	case <-ctx.Done():
		// Compilation cannot be interrupted: let it finish, then release
		// what it made.
		go func() {
			if s := <-done; s.err == nil {
				_ = s.pool.Close()
			}
			closeCache()
		}()
		return nil, fmt.Errorf("start label renderer: %w", ctx.Err())
	}
	log.Debug("label renderer started", "workers", workers, "cache_dir", opt.CacheDir, "took", time.Since(start))
	timeout := opt.RenderTimeout
	if timeout <= 0 {
		timeout = DefaultRenderTimeout
	}
	return &Renderer{log: log, timeout: timeout, pool: pool, cache: cache, conv: newConverter()}, nil
}

// Close stops the instances and releases the compilation cache. Renders
// still running fail; later calls return ErrClosed.
func (r *Renderer) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	err := r.pool.Close()
	if r.cache != nil {
		if cerr := r.cache.Close(context.Background()); cerr != nil && err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("close label renderer: %w", err)
	}
	return nil
}

func (r *Renderer) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Result is a rendered label with what was done to fit it.
type Result struct {
	Bitmap *raster.Bitmap
	// Pages is the number of pages in the PDF; only page 1 is rendered.
	Pages int
	// Rotated is true when a landscape page was turned to fit portrait
	// stock (or the other way round), clockwise.
	Rotated bool
	// Cropped is true when white page margins were cut off to fit.
	Cropped bool
	// Scale is the factor the content was shrunk by to fit (1 = printed at
	// its true size).
	Scale float64
	// Warnings say what the operator should know, e.g. that pages after
	// the first were not printed.
	Warnings []string

	// recycle asks for the instance to be dropped after this render.
	recycle bool
}

// Render renders page 1 of pdf for spec: a bitmap exactly the size of the
// stock (Spec.Canvas). Pages after the first are ignored with a logged
// warning; use Rasterize to get the warnings.
func (r *Renderer) Render(ctx context.Context, pdf []byte, spec Spec) (*raster.Bitmap, error) {
	res, err := r.Rasterize(ctx, pdf, spec)
	if err != nil {
		return nil, err
	}
	return res.Bitmap, nil
}

// Rasterize is Render with the details of the fit and the warnings.
func (r *Renderer) Rasterize(ctx context.Context, pdf []byte, spec Spec) (*Result, error) {
	cw, ch, err := spec.Canvas()
	if err != nil {
		return nil, fmt.Errorf("render label: %w", err)
	}
	dpi, _ := dotsPerInch(spec.DPI)
	if err := sniffPDF(pdf); err != nil {
		return nil, fmt.Errorf("render label: %w", err)
	}
	if r.isClosed() {
		return nil, fmt.Errorf("render label: %w", ErrClosed)
	}
	start := time.Now()
	rctx, cancel := context.WithTimeoutCause(ctx, r.timeout, ErrTooSlow)
	defer cancel()
	res, err := r.withInstance(rctx, func(inst pdfium.Pdfium) (*Result, error) {
		return renderPage(inst, pdf, dpi, cw, ch, r.conv)
	})
	if err != nil {
		if context.Cause(rctx) == ErrTooSlow && ctx.Err() == nil {
			return nil, fmt.Errorf("render label: %w: stopped after %v (%w); the PDF is too complex for a label, download it again or ask the carrier for a simpler one", ErrTooSlow, r.timeout, err)
		}
		return nil, fmt.Errorf("render label: %w", err)
	}
	r.log.Debug("label rendered", "dpi", spec.DPI, "width", cw, "height", ch,
		"pages", res.Pages, "rotated", res.Rotated, "cropped", res.Cropped, "scale", res.Scale,
		"took", time.Since(start))
	if res.Pages > 1 {
		msg := fmt.Sprintf("the PDF has %d pages; only page 1 is the label and was printed — check the other pages are not labels too", res.Pages)
		res.Warnings = append(res.Warnings, msg)
		r.log.Warn("multi-page label PDF: printing page 1 only", "pages", res.Pages)
	}
	return res, nil
}

// withInstance borrows a PDFium instance for fn. Cancelling ctx kills the
// instance, which stops PDFium mid-render. Instances that crashed, failed
// inside PDFium, rendered a huge page or have served recycleEvery renders
// are dropped instead of returned.
func (r *Renderer) withInstance(ctx context.Context, fn func(pdfium.Pdfium) (*Result, error)) (res *Result, err error) {
	inst, err := r.pool.GetInstanceWithContext(ctx)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("wait for a pdf renderer: %w", ctxErr)
		}
		if r.isClosed() {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("get a pdf renderer: %w", err)
	}
	if err := ctx.Err(); err != nil {
		_ = inst.Close()
		return nil, fmt.Errorf("render stopped: %w", err)
	}
	var killed atomic.Bool
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			if killed.CompareAndSwap(false, true) {
				_ = inst.Kill()
			}
		case <-done:
		}
	}()
	defer func() {
		close(done)
		crashed := false
		if p := recover(); p != nil {
			crashed = true
			res, err = nil, fmt.Errorf("pdf renderer crashed: %v (the PDF is probably damaged: download the label again)", p)
		}
		n := r.renders.Add(1)
		if !killed.CompareAndSwap(false, true) {
			return // already killed by cancellation
		}
		var se *suspectError
		if crashed || errors.As(err, &se) || (res != nil && res.recycle) || n%recycleEvery == 0 {
			_ = inst.Kill()
		} else {
			_ = inst.Close()
		}
	}()
	res, err = fn(inst)
	if err != nil && ctx.Err() != nil {
		// Killing the instance is what failed the render: say why.
		r.log.Debug("pdf render stopped", "cause", context.Cause(ctx), "error", err)
		return nil, fmt.Errorf("render stopped: %w", ctx.Err())
	}
	return res, err
}

// sniffPDF rejects input that cannot be a PDF before PDFium sees it.
func sniffPDF(pdf []byte) error {
	if len(pdf) == 0 {
		return fmt.Errorf("%w: the file is empty (download the label again)", ErrNotPDF)
	}
	if len(pdf) > MaxPDFSize {
		return fmt.Errorf("%w: %d bytes is more than the %d a label can be", ErrNotPDF, len(pdf), MaxPDFSize)
	}
	// The header may follow some junk, within the first kilobyte.
	head := pdf[:min(len(pdf), 1024)]
	if !strings.Contains(string(head), "%PDF-") {
		what := "unknown data"
		switch {
		case strings.HasPrefix(string(head), "\x89PNG"):
			what = "a PNG image"
		case strings.HasPrefix(string(head), "\xff\xd8"):
			what = "a JPEG image"
		case strings.HasPrefix(strings.TrimSpace(string(head)), "^XA"), strings.Contains(string(head), "^XA"):
			what = "ZPL printer commands"
		case strings.HasPrefix(strings.TrimSpace(string(head)), "<"):
			what = "an HTML or XML document (an error page?)"
		case strings.HasPrefix(strings.TrimSpace(string(head)), "{"):
			what = "a JSON document (an API error?)"
		}
		return fmt.Errorf("%w: the data is %s, no %%PDF- header (check the label download)", ErrNotPDF, what)
	}
	return nil
}

// logWriter passes PDFium's console output to the logger at debug level.
type logWriter struct {
	log    *slog.Logger
	stream string
}

func (w logWriter) Write(p []byte) (int, error) {
	if s := strings.TrimSpace(string(p)); s != "" {
		w.log.Debug("pdfium output", "stream", w.stream, "text", s)
	}
	return len(p), nil
}

var _ io.Writer = logWriter{}
