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

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/label"
	"github.com/packline/packline/drivers/printer"
	"github.com/packline/packline/drivers/raster"
)

func init() {
	var (
		dpi     int
		stock   string
		copies  int
		cache   string
		timeout time.Duration
		verbose bool
	)
	register(&command{
		name:    "print",
		args:    "[flags] URI FILE.pdf|FILE.png",
		summary: "render a PDF (or PNG) label at the printer's resolution and print it",
		flags: func(fs *flag.FlagSet) {
			fs.IntVar(&dpi, "dpi", 0, "printer resolution: 203, 300 or 600 (default: the URI's ?dpi=, else 203)")
			fs.StringVar(&stock, "stock", "", "label stock, e.g. 4x6, 100x150mm, A6 (default: the URI's ?stock=, else 4x6)")
			fs.IntVar(&copies, "copies", 1, "number of copies")
			fs.StringVar(&cache, "cache", defaultRenderCache(), "directory for the PDF renderer's compiled code (empty: none)")
			fs.DurationVar(&timeout, "timeout", 60*time.Second, "give up after this long")
			fs.BoolVar(&verbose, "v", false, "log the driver's progress to stderr")
		},
		run: func(ctx context.Context, c *cli, fs *flag.FlagSet) error {
			if fs.NArg() != 2 {
				return errUsage
			}
			log := slog.New(slog.DiscardHandler)
			if verbose {
				log = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			return runPrint(ctx, c, log, fs.Arg(0), fs.Arg(1), printer.Options{DPI: dpi, Stock: stock, Logger: log}, copies, cache)
		},
	})
}

// defaultRenderCache is the per-user cache for the PDF renderer, so a
// second print starts in well under a second.
func defaultRenderCache() string {
	dir, err := os.UserCacheDir()
	if err != nil || !filepath.IsAbs(dir) {
		return ""
	}
	return filepath.Join(dir, "packline", "pdfium")
}

func runPrint(ctx context.Context, c *cli, log *slog.Logger, rawURI, file string, opt printer.Options, copies int, cache string) error {
	uri, err := deviceuri.Parse(rawURI)
	if err != nil {
		return err
	}
	media, err := printer.MediaFor(uri, opt)
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
	switch head := data[:min(len(data), 1024)]; {
	case bytes.HasPrefix(data, []byte("\x89PNG")):
		img, err = pngLabel(data, file, media)
	case bytes.Contains(head, []byte("%PDF-")):
		img, err = pdfLabel(ctx, log, data, file, media, cache)
	case len(data) == 0:
		err = fmt.Errorf("%s is empty: download the label again", file)
	default:
		err = fmt.Errorf("%s is not a PDF or PNG label (it starts with %q): download the label again", file, head[:min(len(head), 16)])
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "label %s: %dx%d dots for %s at %d dpi (prepared in %s)\n",
		filepath.Base(file), img.Width, img.Height, media.Stock, media.DPI, time.Since(start).Round(time.Millisecond))

	job := printer.Job{ID: strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)), Image: img, Copies: copies}
	encoded, err := printer.Encode(uri, opt, job)
	if err != nil {
		return err
	}
	p, err := printer.Open(uri, opt)
	if err != nil {
		return err
	}
	defer p.Close()
	start = time.Now()
	if err := p.Print(ctx, job); err != nil {
		return fmt.Errorf("printing on %s: %w", rawURI, err)
	}
	fmt.Fprintf(c.stdout, "sent %d bytes of %s to %s in %s\n", len(encoded), strings.ToUpper(langOf(uri)), rawURI, time.Since(start).Round(time.Millisecond))
	st, err := p.Status(ctx)
	switch {
	case errors.Is(err, printer.ErrNoStatus):
		fmt.Fprintln(c.stdout, "printer status: not available over this link")
	case err != nil:
		fmt.Fprintf(c.stdout, "printer status: unknown: %v\n", err)
	case st.Ready:
		fmt.Fprintf(c.stdout, "printer status: ready%s\n", listSuffix(st.Warnings))
	default:
		fmt.Fprintf(c.stdout, "printer status: %s%s\n", strings.Join(st.Errors, ", "), listSuffix(st.Warnings))
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

// pdfLabel renders page 1 of a PDF label at the printer's resolution.
func pdfLabel(ctx context.Context, log *slog.Logger, data []byte, file string, m printer.Media, cache string) (*raster.Bitmap, error) {
	if cache != "" {
		if err := os.MkdirAll(cache, 0o755); err != nil {
			log.Warn("renderer cache directory unusable; compiling in memory", "dir", cache, "err", err)
			cache = ""
		}
	}
	r, err := label.NewRenderer(ctx, label.Options{CacheDir: cache, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("starting the PDF renderer: %w", err)
	}
	defer r.Close()
	img, err := r.Render(ctx, data, label.Spec{DPI: m.DPI, Stock: m.Stock})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return img, nil
}
