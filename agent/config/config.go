// Package config loads, defaults and validates the agent's TOML
// configuration. Every path it returns is absolute: a Windows service starts
// in System32, so a relative path would point somewhere unexpected.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/drivers/deviceuri"
)

// Config is the agent's whole configuration.
type Config struct {
	Agent    Agent     `toml:"agent"`
	Log      Log       `toml:"log"`
	TikTok   TikTok    `toml:"tiktok"`
	API      API       `toml:"api"`
	Store    Store     `toml:"store"`
	Weight   Weight    `toml:"weight"`
	Sync     Sync      `toml:"sync"`
	Boxes    []Box     `toml:"box"`
	Stations []Station `toml:"station"`
	Barcodes []Barcode `toml:"barcode"`

	// Path is the file the configuration was read from.
	Path string `toml:"-"`
}

// Agent holds site-wide settings.
type Agent struct {
	// DataDir holds the store, backups, the API token, label files and caches.
	DataDir string `toml:"data_dir"`
	// TimeZone is the warehouse's IANA zone for business-day arithmetic.
	TimeZone string `toml:"time_zone"`
	// Holidays are dates (YYYY-MM-DD) that are not business days.
	Holidays []string `toml:"holidays"`
	// DispatchDays is the dispatch promise in business days (TikTok: 2).
	DispatchDays int `toml:"dispatch_days"`
}

// Log sets where and how much the agent logs.
type Log struct {
	Level string `toml:"level"`
	// File is the log file; empty means DataDir/logs/agent.log. "-" is stderr.
	File       string `toml:"file"`
	MaxSizeMB  int    `toml:"max_size_mb"`
	MaxBackups int    `toml:"max_backups"`
}

// TikTok is the TikTok Shop Open API connection.
type TikTok struct {
	AppKey string `toml:"app_key"`
	// AppSecret may be given inline, in AppSecretFile, or in the environment
	// variable PACKLINE_TIKTOK_APP_SECRET.
	AppSecret     string `toml:"app_secret"`
	AppSecretFile string `toml:"app_secret_file"`
	// APIBase and AuthBase are settings so a simulator can stand in.
	APIBase    string `toml:"api_base"`
	AuthBase   string `toml:"auth_base"`
	ShopCipher string `toml:"shop_cipher"`
	// AuthCode is a one-time authorisation code exchanged at first start.
	AuthCode string `toml:"auth_code"`
	// RefreshTokenFile seeds the token store when no token is stored yet.
	RefreshTokenFile string   `toml:"refresh_token_file"`
	WarehouseIDs     []string `toml:"warehouse_ids"`
	PollInterval     Duration `toml:"poll_interval"`
	// WeightUnit is the declared weight unit: POUND or GRAM.
	WeightUnit string `toml:"weight_unit"`
	// DocumentSize is the label size requested: A6 or A5.
	DocumentSize string   `toml:"document_size"`
	Timeout      Duration `toml:"timeout"`
}

// API is the local API for stations and tools.
type API struct {
	Listen string `toml:"listen"`
	// AllowLAN permits a non-loopback listen address for LAN stations.
	AllowLAN bool `toml:"allow_lan"`
	// LANHosts are the host names (without a port) LAN stations may use to
	// reach the agent when AllowLAN is set; IP addresses need no entry.
	LANHosts  []string `toml:"lan_hosts"`
	TokenFile string   `toml:"token_file"`
	// AdminTokenFile holds the token that guards administrative requests
	// such as backups; only the service account and administrators may
	// read it.
	AdminTokenFile string `toml:"admin_token_file"`
}

// Store is the embedded database.
type Store struct {
	Path        string   `toml:"path"`
	MaxSizeMB   int      `toml:"max_size_mb"`
	OpenTimeout Duration `toml:"open_timeout"`
	BackupDir   string   `toml:"backup_dir"`
	// BackupKeep is how many daily backups are kept.
	BackupKeep int `toml:"backup_keep"`
}

// Weight is the policy that decides whether a box may proceed.
type Weight struct {
	// ToleranceGrams and TolerancePercent: the box passes when
	// |measured-expected| <= max(ToleranceGrams, TolerancePercent% of expected).
	ToleranceGrams   float64 `toml:"tolerance_grams"`
	TolerancePercent float64 `toml:"tolerance_percent"`
	// StableReadings is how many identical stable readings make a weight.
	StableReadings int `toml:"stable_readings"`
	// UnknownProduct says what to do when a product has no catalogue
	// weight: "exception" (default) or "skip".
	UnknownProduct string `toml:"unknown_product"`
}

// Sync is the optional seller endpoint that receives pack records.
type Sync struct {
	URL       string `toml:"url"`
	TokenFile string `toml:"token_file"`
}

// Box is one entry of the box catalogue.
type Box struct {
	Code      string  `toml:"code"`
	Name      string  `toml:"name"`
	Length    string  `toml:"length"`
	Width     string  `toml:"width"`
	Height    string  `toml:"height"`
	Unit      string  `toml:"unit"`
	TareGrams float64 `toml:"tare_grams"`
}

// Station is one packing station with its devices.
type Station struct {
	ID      string `toml:"id"`
	Name    string `toml:"name"`
	Scale   string `toml:"scale"`
	Printer string `toml:"printer"`
	// DPI is the printer's resolution: 203 or 300.
	DPI int `toml:"dpi"`
	// Stock is the label stock: "4x6" (inches) by default.
	Stock string `toml:"stock"`
}

// Barcode maps a scanned code to a SKU, for codes the catalogue lacks.
type Barcode struct {
	Code  string `toml:"code"`
	SKUID string `toml:"sku_id"`
	// Units is how many units one scan counts (case packs); default 1.
	Units int `toml:"units"`
}

// Duration is a time.Duration written as "30s" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 30s or 2m", b)
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Paths are the installer's default locations on one operating system.
type Paths struct {
	Config  string
	DataDir string
}

// DefaultPaths returns the default locations for goos ("linux", "windows").
// programData is %ProgramData% on Windows; empty means C:\ProgramData.
func DefaultPaths(goos, programData string) Paths {
	if goos == "windows" {
		if programData == "" {
			programData = `C:\ProgramData`
		}
		root := programData + `\Packline`
		return Paths{Config: root + `\agent.toml`, DataDir: root}
	}
	return Paths{Config: "/etc/packline/agent.toml", DataDir: "/var/lib/packline"}
}

// Defaults returns the default locations for this machine.
func Defaults() Paths { return DefaultPaths(runtime.GOOS, os.Getenv("ProgramData")) }

// Load reads the configuration at path, applies defaults and validates it.
func Load(path string) (*Config, error) {
	if !isAbs(path) {
		return nil, fmt.Errorf("config path %q is relative: give an absolute path (a service starts in a system directory)", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// Parse decodes, defaults and validates a configuration from TOML bytes.
func Parse(b []byte) (*Config, error) {
	var c Config
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("unknown settings %s: check their spelling", strings.Join(keys, ", "))
	}
	c.ApplyDefaults(Defaults())
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// ApplyDefaults fills unset values, deriving data paths from p.DataDir.
func (c *Config) ApplyDefaults(p Paths) {
	if c.Agent.DataDir == "" {
		c.Agent.DataDir = p.DataDir
	}
	dd := c.Agent.DataDir
	join := func(parts ...string) string {
		if strings.Contains(dd, `\`) && !strings.Contains(dd, "/") {
			return dd + `\` + strings.Join(parts, `\`)
		}
		return filepath.Join(append([]string{dd}, parts...)...)
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	def(&c.Agent.TimeZone, "America/Los_Angeles")
	defInt(&c.Agent.DispatchDays, 2)
	def(&c.Log.Level, "info")
	def(&c.Log.File, join("logs", "agent.log"))
	defInt(&c.Log.MaxSizeMB, 10)
	defInt(&c.Log.MaxBackups, 5)
	def(&c.TikTok.APIBase, "https://open-api.tiktokglobalshop.com")
	def(&c.TikTok.AuthBase, "https://auth.tiktok-shops.com")
	def(&c.TikTok.WeightUnit, "POUND")
	def(&c.TikTok.DocumentSize, "A6")
	if c.TikTok.PollInterval.Duration == 0 {
		c.TikTok.PollInterval.Duration = 30 * time.Second
	}
	if c.TikTok.Timeout.Duration == 0 {
		c.TikTok.Timeout.Duration = 20 * time.Second
	}
	def(&c.API.Listen, "127.0.0.1:7420")
	def(&c.API.TokenFile, join("ui-token"))
	def(&c.API.AdminTokenFile, join("admin-token"))
	def(&c.Store.Path, join("packline.db"))
	defInt(&c.Store.MaxSizeMB, 1024)
	if c.Store.OpenTimeout.Duration == 0 {
		c.Store.OpenTimeout.Duration = 2 * time.Second
	}
	def(&c.Store.BackupDir, join("backups"))
	defInt(&c.Store.BackupKeep, 7)
	if c.Weight.ToleranceGrams == 0 && c.Weight.TolerancePercent == 0 {
		c.Weight.ToleranceGrams, c.Weight.TolerancePercent = 30, 5
	}
	defInt(&c.Weight.StableReadings, 3)
	def(&c.Weight.UnknownProduct, "exception")
	for i := range c.Stations {
		s := &c.Stations[i]
		defInt(&s.DPI, 203)
		def(&s.Stock, "4x6")
		def(&s.Name, s.ID)
	}
	for i := range c.Boxes {
		def(&c.Boxes[i].Unit, "INCH")
	}
	for i := range c.Barcodes {
		defInt(&c.Barcodes[i].Units, 1)
	}
}

// Validate checks the configuration and reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	for name, p := range map[string]string{
		"agent.data_dir": c.Agent.DataDir, "store.path": c.Store.Path, "store.backup_dir": c.Store.BackupDir,
		"api.token_file": c.API.TokenFile, "api.admin_token_file": c.API.AdminTokenFile, "tiktok.app_secret_file": c.TikTok.AppSecretFile,
		"tiktok.refresh_token_file": c.TikTok.RefreshTokenFile, "sync.token_file": c.Sync.TokenFile,
	} {
		if p != "" && !isAbs(p) {
			bad("%s %q is relative: give an absolute path", name, p)
		}
	}
	for _, h := range c.API.LANHosts {
		if h == "" || strings.ContainsAny(h, ":/[] ") {
			bad("api.lan_hosts: %q is not a host name: give names like \"pack-agent.lan\", without a port", h)
		}
	}
	if len(c.API.LANHosts) > 0 && !c.API.AllowLAN {
		bad("api.lan_hosts is set but api.allow_lan is false: set allow_lan = true for LAN stations")
	}
	if c.Log.File != "-" && !isAbs(c.Log.File) {
		bad("log.file %q is relative: give an absolute path or \"-\" for standard error", c.Log.File)
	}
	if _, err := time.LoadLocation(c.Agent.TimeZone); err != nil {
		bad("agent.time_zone %q is not an IANA zone like America/Chicago", c.Agent.TimeZone)
	}
	for _, h := range c.Agent.Holidays {
		if _, err := time.Parse("2006-01-02", h); err != nil {
			bad("agent.holidays: %q is not a date like 2026-12-25", h)
		}
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level %q: use debug, info, warn or error", c.Log.Level)
	}
	switch c.TikTok.WeightUnit {
	case "POUND", "GRAM":
	default:
		bad("tiktok.weight_unit %q: use POUND or GRAM", c.TikTok.WeightUnit)
	}
	switch c.TikTok.DocumentSize {
	case "A6", "A5":
	default:
		bad("tiktok.document_size %q: use A6 or A5", c.TikTok.DocumentSize)
	}
	if len(c.TikTok.WarehouseIDs) > 100 {
		bad("tiktok.warehouse_ids: at most 100 warehouses, got %d", len(c.TikTok.WarehouseIDs))
	}
	if c.Weight.ToleranceGrams < 0 || c.Weight.TolerancePercent < 0 || c.Weight.TolerancePercent > 100 {
		bad("weight: tolerance_grams must be >= 0 and tolerance_percent 0 to 100")
	}
	if c.Weight.UnknownProduct != "exception" && c.Weight.UnknownProduct != "skip" {
		bad("weight.unknown_product %q: use exception or skip", c.Weight.UnknownProduct)
	}
	boxes := map[string]bool{}
	for _, b := range c.Boxes {
		if b.Code == "" {
			bad("a [[box]] has no code")
			continue
		}
		if boxes[b.Code] {
			bad("box %q is listed twice", b.Code)
		}
		boxes[b.Code] = true
		if _, err := b.Order(); err != nil {
			bad("box %q: %v", b.Code, err)
		}
	}
	ids := map[string]bool{}
	for _, s := range c.Stations {
		if s.ID == "" {
			bad("a [[station]] has no id")
			continue
		}
		if ids[s.ID] {
			bad("station %q is listed twice", s.ID)
		}
		ids[s.ID] = true
		for what, uri := range map[string]string{"scale": s.Scale, "printer": s.Printer} {
			if uri == "" {
				continue
			}
			if _, err := deviceuri.Parse(uri); err != nil {
				bad("station %q %s: %v", s.ID, what, err)
			}
		}
		if s.DPI != 203 && s.DPI != 300 {
			bad("station %q: dpi %d: use 203 or 300", s.ID, s.DPI)
		}
	}
	for _, bc := range c.Barcodes {
		if bc.Code == "" || bc.SKUID == "" || bc.Units < 1 {
			bad("barcode %q: needs code, sku_id and units >= 1", bc.Code)
		}
	}
	return errors.Join(errs...)
}

// AppSecretValue returns the TikTok app secret from the inline value, the
// secret file or PACKLINE_TIKTOK_APP_SECRET, in that order.
func (c *Config) AppSecretValue() (string, error) {
	return secret(c.TikTok.AppSecret, c.TikTok.AppSecretFile, "PACKLINE_TIKTOK_APP_SECRET")
}

func secret(inline, file, env string) (string, error) {
	if inline != "" {
		return inline, nil
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading secret file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return os.Getenv(env), nil
}

// Order returns the box as the domain's box, checking its numbers.
func (b Box) Order() (order.Box, error) {
	if b.Unit != "INCH" && b.Unit != "CM" {
		return order.Box{}, fmt.Errorf("unit %q: use INCH or CM", b.Unit)
	}
	for _, v := range []string{b.Length, b.Width, b.Height} {
		if _, err := order.ParseMass(v, "g"); err != nil || strings.HasPrefix(strings.TrimSpace(v), "-") || v == "0" {
			return order.Box{}, fmt.Errorf("dimension %q is not a positive decimal", v)
		}
	}
	tare, err := order.ParseMass(fmt.Sprint(b.TareGrams), "g")
	if err != nil || tare < 0 {
		return order.Box{}, fmt.Errorf("tare_grams %v is not a weight", b.TareGrams)
	}
	return order.Box{Code: b.Code, Name: b.Name, Length: b.Length, Width: b.Width, Height: b.Height, Unit: b.Unit, Tare: tare}, nil
}

// Station returns the station with the given id.
func (c *Config) Station(id string) (Station, bool) {
	for _, s := range c.Stations {
		if s.ID == id {
			return s, true
		}
	}
	return Station{}, false
}

// isAbs reports whether p is absolute on Linux or on Windows, so that a
// config written for either can be checked anywhere.
func isAbs(p string) bool {
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
		return true
	}
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
}
