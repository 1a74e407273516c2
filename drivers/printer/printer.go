// Package printer prints 1-bit labels on thermal label printers. A device
// URI picks the printer language (zpl, epl, tspl) and the transport (tcp,
// serial, usb, winspool, cups); sim://printer runs an in-process simulated
// printer that writes PNGs. Jobs to one printer go through one writer
// goroutine, so they are never interleaved; on links that answer, the
// printer's status is checked before and after each job. Queue adds a
// durable spool on top: a job is on disk before it is sent and is resent
// until the printer takes it.
package printer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/raster"
)

// Printer is an open label printer.
type Printer interface {
	// Print sends one job. A nil error means the printer took the whole job;
	// an error means it did not, and sending it again will not print it
	// twice. A *NotReadyError means the printer reported a fault before
	// anything was sent.
	Print(ctx context.Context, job Job) error
	// Status asks the printer for its state. It fails with ErrNoAnswer when
	// the printer is silent and ErrNoStatus when the link cannot carry an
	// answer; it never reports a printer it could not hear from as ready.
	Status(ctx context.Context) (Status, error)
	Close() error
}

// JobStatusPrinter is a Printer that also tells what the printer reported
// right after taking a job, so a fault the job ran into (the last label of
// the roll, a head opened mid-print) shows at once. Queue uses it when its
// printer has it; printers from Open do.
type JobStatusPrinter interface {
	Printer
	// PrintStatus is Print that also returns the printer's state after
	// the job. A nil error means the job was taken, whatever that state.
	PrintStatus(ctx context.Context, job Job) (AfterJob, error)
}

// AfterJob is the printer's state as it reported it right after a job.
type AfterJob struct {
	// Checked is false when the link carries no status, so nothing was
	// asked and Status and Err are zero.
	Checked bool
	// Status is the printer's reply; Err is set instead when it did not
	// answer.
	Status Status
	Err    error
}

// Job is one label to print.
type Job struct {
	// ID names the job in logs and the spool (an order or package id).
	ID string
	// Image is the label at the printer's resolution, at most the stock's
	// size; it is printed at the label's top-left corner.
	Image *raster.Bitmap
	// Copies is the quantity; zero means one.
	Copies int
}

// Status is the printer's state.
type Status struct {
	// Ready is true when the printer reported no error.
	Ready bool
	// Errors and Warnings are the reported conditions in words ("paper
	// out", "head open", "paused", "paper near end").
	Errors, Warnings []string
	// Raw is the printer's reply as received.
	Raw string
}

// Options configure Open. Zero fields are taken from the URI's query
// (?dpi=203&stock=4x6) and then from the defaults.
type Options struct {
	// DPI is the head resolution: 203 (default), 300 or 600.
	DPI int
	// Stock is the label size: "4x6" (default), "4x4", "100x150mm", "A6".
	Stock string
	// SpoolDir is where a Queue keeps its jobs; Open does not use it.
	SpoolDir string
	Logger   *slog.Logger
}

var (
	// ErrNotReady is matched by a *NotReadyError.
	ErrNotReady = errors.New("printer not ready")
	// ErrNoAnswer reports a printer that did not answer a status query.
	ErrNoAnswer = errors.New("printer did not answer: check power, cable, and paper/head")
	// ErrNoStatus reports a link or language that cannot report status
	// (a write-only device file, EPL2, a spooler without a status).
	ErrNoStatus = errors.New("printer status is not available over this link")
	// ErrUnreachable reports a printer that could not be reached at all.
	ErrUnreachable = errors.New("printer unreachable")
	// ErrClosed reports use of a closed printer.
	ErrClosed = errors.New("printer is closed")
	// ErrBadJob reports a job that can never print as it is (no image, an
	// image larger than the label): retrying will not help.
	ErrBadJob = errors.New("job cannot be printed")
)

// NotReadyError is a printer that reported a fault; nothing was sent.
type NotReadyError struct {
	Status Status
}

func (e *NotReadyError) Error() string {
	var hints []string
	seen := map[string]bool{}
	for _, s := range e.Status.Errors {
		h := hint(s)
		if !seen[h] {
			seen[h] = true
			hints = append(hints, h)
		}
	}
	return fmt.Sprintf("printer not ready: %s: %s", strings.Join(e.Status.Errors, ", "), strings.Join(hints, "; "))
}

// Is makes errors.Is(err, ErrNotReady) true.
func (e *NotReadyError) Is(target error) bool { return target == ErrNotReady }

func hint(cond string) string {
	switch {
	case strings.Contains(cond, "paper out"), strings.Contains(cond, "media out"), strings.Contains(cond, "mark not found"):
		return "load labels and close the head"
	case strings.Contains(cond, "head open"), strings.Contains(cond, "cover open"):
		return "close the print head"
	case strings.Contains(cond, "ribbon"):
		return "load a ribbon"
	case strings.Contains(cond, "paused"):
		return "press PAUSE on the printer to resume"
	case strings.Contains(cond, "jam"), strings.Contains(cond, "feed"):
		return "clear the paper path"
	case strings.Contains(cond, "disabled"):
		return "enable the queue (cupsenable)"
	}
	return "clear the error on the printer"
}

// Media is the resolved resolution and label size.
type Media struct {
	DPI   int
	Stock string
	// WidthIn and HeightIn are the label size in inches.
	WidthIn, HeightIn float64
	// Width and Height are the label size in dots.
	Width, Height int
}

// MediaFor resolves the resolution and stock of the printer at uri:
// opt's fields first, then the URI's ?dpi= and ?stock=, then 203 dpi 4x6.
// The dot sizes match the label renderer's canvas: 812x1218 for 4x6 at 203
// dpi and 1218x1827 at 300 dpi.
func MediaFor(uri deviceuri.URI, opt Options) (Media, error) {
	dpi := opt.DPI
	if dpi == 0 {
		var err error
		if dpi, err = uri.Int("dpi", 203); err != nil {
			return Media{}, err
		}
	}
	var dots float64
	switch dpi {
	case 203:
		dots = 203
	case 300:
		dots = 304.5
	case 600:
		dots = 609
	default:
		return Media{}, fmt.Errorf("device %s: resolution %d dpi is not supported: use 203, 300 or 600", uri, dpi)
	}
	stock := opt.Stock
	if stock == "" {
		stock = uri.Param("stock", "4x6")
	}
	w, h, err := stockInches(stock)
	if err != nil {
		return Media{}, fmt.Errorf("device %s: %w", uri, err)
	}
	return Media{
		DPI: dpi, Stock: stock, WidthIn: w, HeightIn: h,
		Width: int(math.Round(w * dots)), Height: int(math.Round(h * dots)),
	}, nil
}

// isoStock returns the size in millimetres of an ISO A label stock.
func isoStock(name string) ([2]float64, bool) {
	switch name {
	case "A5":
		return [2]float64{148, 210}, true
	case "A6":
		return [2]float64{105, 148}, true
	case "A7":
		return [2]float64{74, 105}, true
	}
	return [2]float64{}, false
}

// stockInches parses "4x6", "100x150mm", "4x6in" or an ISO A size.
func stockInches(stock string) (float64, float64, error) {
	s := strings.ToLower(strings.TrimSpace(stock))
	if mm, ok := isoStock(strings.ToUpper(s)); ok {
		return mm[0] / 25.4, mm[1] / 25.4, nil
	}
	unit := 1.0
	if strings.HasSuffix(s, "mm") {
		unit, s = 1/25.4, strings.TrimSuffix(s, "mm")
	} else {
		s = strings.TrimSuffix(s, "in")
	}
	ws, hs, ok := strings.Cut(s, "x")
	w, errW := strconv.ParseFloat(strings.TrimSpace(ws), 64)
	h, errH := strconv.ParseFloat(strings.TrimSpace(hs), 64)
	if !ok || errW != nil || errH != nil {
		return 0, 0, fmt.Errorf("label stock %q: want WxH in inches (4x6), WxHmm (100x150mm) or A5/A6/A7", stock)
	}
	w, h = w*unit, h*unit
	if !(w >= 0.25 && h >= 0.25 && w <= 12 && h <= 24) {
		return 0, 0, fmt.Errorf("label stock %q is %.2fx%.2f in: sides must be 0.25 to 12 in wide and 24 in long", stock, w, h)
	}
	return w, h, nil
}

// Open returns the printer named by uri, e.g. zpl+tcp://10.1.2.9:9100,
// tspl+serial:///dev/ttyUSB0?baud=115200, zpl+usb:///dev/usb/lp0,
// zpl+winspool://Zebra ZP450, epl+cups://label4x6 or
// sim://printer?dir=/tmp/labels&lang=zpl. Open does no I/O except for
// sim://, which starts the simulator on 127.0.0.1; connections are made
// per job.
//
// URI parameters: dpi, stock, status (hqes, hs or off; by default ZPL asks
// with ~HQES and, when a printer never answers it, with ~HS from then on),
// dial_timeout (5s), write_timeout (30s), status_timeout (3s).
func Open(uri deviceuri.URI, opt Options) (Printer, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	media, err := MediaFor(uri, opt)
	if err != nil {
		return nil, err
	}
	if uri.Protocol == "sim" {
		return openSim(uri, media, log)
	}
	lang, err := languageFor(uri)
	if err != nil {
		return nil, err
	}
	tm, err := timeoutsFor(uri)
	if err != nil {
		return nil, err
	}
	var tr transport
	switch uri.Transport {
	case "tcp":
		tr = &tcpTransport{addr: uri.Target, tm: tm}
	case "serial":
		tr = &serialTransport{uri: uri, tm: tm}
	case "usb":
		tr = &usbTransport{path: uri.Target, status: uri.Param("status", "") != "off", tm: tm}
	case "winspool":
		tr, err = newWinspool(uri.Target, uri.Param("datatype", ""))
	case "cups":
		tr = &cupsTransport{queue: uri.Target, tm: tm}
	case "":
		return nil, fmt.Errorf("device %s: no transport: write %s+tcp://host:9100, %s+usb:///dev/usb/lp0, %s+serial://COM3, %s+winspool://NAME or %s+cups://QUEUE",
			uri, uri.Protocol, uri.Protocol, uri.Protocol, uri.Protocol, uri.Protocol)
	default:
		return nil, fmt.Errorf("device %s: transport %q is not one of tcp, serial, usb, winspool, cups", uri, uri.Transport)
	}
	if err != nil {
		return nil, err
	}
	return newDevice(uri, lang, tr, media, tm, log), nil
}

// Encode returns the bytes Open(uri, opt).Print would send for job: the
// job in the URI's printer language (sim:// uses ?lang=, default zpl).
func Encode(uri deviceuri.URI, opt Options, job Job) ([]byte, error) {
	media, err := MediaFor(uri, opt)
	if err != nil {
		return nil, err
	}
	u := uri
	if uri.Protocol == "sim" {
		u = deviceuri.URI{Protocol: uri.Param("lang", "zpl"), Params: uri.Params}
	}
	lang, err := languageFor(u)
	if err != nil {
		return nil, err
	}
	if job.Image == nil {
		return nil, fmt.Errorf("job %q has no image", job.ID)
	}
	return lang.encode(job.Image, max(job.Copies, 1), media)
}
