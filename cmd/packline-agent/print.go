package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/label"
	"github.com/packline/packline/drivers/printer"
	"github.com/packline/packline/drivers/raster"
)

func init() {
	var (
		dpi        int
		stock      string
		copies     int
		cache      string
		configPath string
		tracking   string
		noCheck    bool
		timeout    time.Duration
		verbose    bool
	)
	register(&command{
		name:    "print",
		args:    "[flags] URI FILE.pdf|FILE.png",
		summary: "render a PDF (or PNG) label at the printer's resolution, check its barcode reads back, and print it",
		flags: func(fs *flag.FlagSet) {
			fs.IntVar(&dpi, "dpi", 0, "printer resolution: 203, 300 or 600 (default: the URI's ?dpi=, else 203)")
			fs.StringVar(&stock, "stock", "", "label stock, e.g. 4x6, 100x150mm, A6 (default: the URI's ?stock=, else 4x6)")
			fs.IntVar(&copies, "copies", 1, "number of copies")
			fs.StringVar(&tracking, "tracking", "", "refuse the label unless one of its barcodes reads back as this tracking number (default: any Code 128 barcode must read)")
			fs.BoolVar(&noCheck, "no-barcode-check", false, "print even when no barcode reads back (test pages, not shipping labels)")
			fs.StringVar(&configPath, "config", "", "agent config `file`: the PDF renderer's compiled code is kept in its data_dir/cache/pdfium, as the agent does")
			fs.StringVar(&cache, "cache", "", "`directory` for the PDF renderer's compiled code, overriding --config (default: the per-user cache directory; empty: none)")
			fs.DurationVar(&timeout, "timeout", 60*time.Second, "give up after this long")
			fs.BoolVar(&verbose, "v", false, "log the driver's progress to stderr")
		},
		run: func(ctx context.Context, c *cli, fs *flag.FlagSet) error {
			if fs.NArg() != 2 {
				return errUsage
			}
			if noCheck && tracking != "" {
				return errors.New("--tracking and --no-barcode-check contradict each other: give one of them")
			}
			log := slog.New(slog.DiscardHandler)
			if verbose {
				log = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
			cacheSet := false
			fs.Visit(func(f *flag.Flag) { cacheSet = cacheSet || f.Name == "cache" })
			if !cacheSet {
				var err error
				if cache, err = renderCache(configPath); err != nil {
					return err
				}
			}
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			return runPrint(ctx, c, log, fs.Arg(0), fs.Arg(1), printArgs{
				opt: printer.Options{DPI: dpi, Stock: stock, Logger: log}, copies: copies, cache: cache,
				tracking: strings.TrimSpace(tracking), check: !noCheck,
			})
		},
	})
}

// printArgs are the print command's settings.
type printArgs struct {
	opt    printer.Options
	copies int
	// cache is the PDF renderer's compilation cache; empty for none.
	cache string
	// tracking, when set, must be what a barcode on the label reads.
	tracking string
	// check refuses a label none of whose barcodes read back.
	check bool
}

// renderCache is where the PDF renderer keeps its compiled code: the
// agent's own cache in the data directory when a config is given, so the
// agent and this command share it, else the per-user cache directory.
func renderCache(configPath string) (string, error) {
	if configPath == "" {
		return userRenderCache(), nil
	}
	cfg, err := config.Load(configPath)
	if err != nil {
		return "", fmt.Errorf("%w (or leave out --config to use the per-user cache)", err)
	}
	return filepath.Join(cfg.Agent.DataDir, "cache", "pdfium"), nil
}

// userRenderCache is the per-user cache for the PDF renderer, so a second
// print starts in well under a second.
func userRenderCache() string {
	dir, err := os.UserCacheDir()
	if err != nil || !filepath.IsAbs(dir) {
		return ""
	}
	return filepath.Join(dir, "packline", "pdfium")
}

func runPrint(ctx context.Context, c *cli, log *slog.Logger, rawURI, file string, a printArgs) error {
	uri, err := deviceuri.Parse(rawURI)
	if err != nil {
		return err
	}
	media, err := printer.MediaFor(uri, a.opt)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("label file %s does not exist", file)
	}
	if err != nil {
		return fmt.Errorf("reading label file: %w", err)
	}
	start := time.Now()
	var img *raster.Bitmap
	var warnings []string
	switch head := data[:min(len(data), 1024)]; {
	case bytes.HasPrefix(data, []byte("\x89PNG")):
		img, err = pngLabel(data, file, media)
	case bytes.Contains(head, []byte("%PDF-")):
		img, warnings, err = pdfLabel(ctx, log, data, file, media, a.cache)
	case len(data) == 0:
		err = fmt.Errorf("%s is empty: download the label again", file)
	default:
		err = fmt.Errorf("%s is not a PDF or PNG label (it starts with %q): download the label again", file, head[:min(len(head), 16)])
	}
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(c.stderr, "warning: %s: %s\n", filepath.Base(file), w)
	}
	checked := "barcode not checked"
	if a.check {
		found, err := label.CheckBarcode(img, a.tracking)
		if err != nil {
			if a.tracking == "" {
				return fmt.Errorf("%s: %w; to print a page without a barcode anyway, add --no-barcode-check", file, err)
			}
			return fmt.Errorf("%s: %w", file, err)
		}
		checked = fmt.Sprintf("barcode reads %q", found[len(found)-1])
	}
	fmt.Fprintf(c.stdout, "label %s: %dx%d dots for %s at %d dpi, %s (prepared in %s)\n",
		filepath.Base(file), img.Width, img.Height, media.Stock, media.DPI, checked, time.Since(start).Round(time.Millisecond))

	job := printer.Job{ID: strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)), Image: img, Copies: a.copies}
	encoded, err := printer.Encode(uri, a.opt, job)
	if err != nil {
		return err
	}
	p, err := printer.Open(uri, a.opt)
	if err != nil {
		return err
	}
	defer p.Close()
	start = time.Now()
	var after printer.AfterJob
	if sp, ok := p.(printer.JobStatusPrinter); ok {
		after, err = sp.PrintStatus(ctx, job)
	} else {
		err = p.Print(ctx, job)
	}
	if err != nil {
		return fmt.Errorf("printing on %s: %w", rawURI, err)
	}
	fmt.Fprintf(c.stdout, "sent %d bytes of %s to %s in %s\n", len(encoded), strings.ToUpper(langOf(uri)), rawURI, time.Since(start).Round(time.Millisecond))
	st, err := after.Status, after.Err
	if !after.Checked {
		// The link did not carry a status with the job; a spooler may
		// still know one.
		st, err = p.Status(ctx)
	}
	switch {
	case errors.Is(err, printer.ErrNoStatus):
		fmt.Fprintln(c.stdout, "printer status: not available over this link")
	case err != nil:
		fmt.Fprintf(c.stdout, "printer status: unknown: %v\n", err)
	case st.Ready:
		fmt.Fprintf(c.stdout, "printer status: ready%s\n", listSuffix(st.Warnings))
	default:
		// The label was sent; say what the printer needs now.
		what := strings.TrimPrefix((&printer.NotReadyError{Status: st}).Error(), "printer not ready: ")
		fmt.Fprintf(c.stdout, "printer status: %s%s\n", what, listSuffix(st.Warnings))
	}
	if sim, ok := printer.Simulator(p); ok {
		if f := sim.LastFile(); f != "" {
			fmt.Fprintf(c.stdout, "simulated printer wrote %s\n", f)
		}
	}
	return nil
}

func listSuffix(w []string) string {
	if len(w) == 0 {
		return ""
	}
	return " (" + strings.Join(w, ", ") + ")"
}

func langOf(uri deviceuri.URI) string {
	if uri.Protocol == "sim" {
		return uri.Param("lang", "zpl")
	}
	return uri.Protocol
}

// pngLabel thresholds a PNG label; it must already be at the printer's size
// or smaller.
func pngLabel(data []byte, file string, m printer.Media) (*raster.Bitmap, error) {
	im, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable PNG: %w", file, err)
	}
	b := im.Bounds()
	if b.Dx() > m.Width || b.Dy() > m.Height {
		return nil, fmt.Errorf("%s is %dx%d pixels but a %s label at %d dpi is %dx%d dots: export the PNG at the printer's resolution or print the PDF", file, b.Dx(), b.Dy(), m.Stock, m.DPI, m.Width, m.Height)
	}
	return raster.FromImage(im), nil
}

// pdfLabel renders page 1 of a PDF label at the printer's resolution and
// returns the renderer's warnings (pages after the first not printed).
func pdfLabel(ctx context.Context, log *slog.Logger, data []byte, file string, m printer.Media, cache string) (*raster.Bitmap, []string, error) {
	if cache != "" {
		if err := os.MkdirAll(cache, 0o750); err != nil {
			fallback := userRenderCache()
			log.Warn("renderer cache directory unusable; using the per-user cache", "dir", cache, "fallback", fallback, "err", err)
			cache = ""
			if fallback != "" && os.MkdirAll(fallback, 0o750) == nil {
				cache = fallback
			}
		}
	}
	r, err := label.NewRenderer(ctx, label.Options{CacheDir: cache, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("starting the PDF renderer: %w", err)
	}
	defer r.Close()
	res, err := r.Rasterize(ctx, data, label.Spec{DPI: m.DPI, Stock: m.Stock})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	return res.Bitmap, res.Warnings, nil
}
