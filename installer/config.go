package installer

import (
	"strings"

	"github.com/packline/packline/agent/config"
)

// DefaultConfig returns the commented default configuration for goos with
// the data directory dataDir (empty: the installer's default). Every section
// of the agent's configuration is present; what a site must fill in is
// marked FILL IN.
func DefaultConfig(goos, dataDir string) string {
	if dataDir == "" {
		dataDir = config.DefaultPaths(goos, "").DataDir
	}
	serial, hid, usb := "/dev/ttyUSB0", "/dev/hidraw0", "zpl+usb:///dev/usb/lp0"
	if goos == "windows" {
		serial, hid, usb = "COM3", "(not available on Windows)", "zpl+winspool://Zebra ZP450"
	}
	return strings.NewReplacer("@DATA@", dataDir, "@SERIAL@", serial, "@HID@", hid, "@USB@", usb).Replace(defaultConfig)
}

const defaultConfig = `# Packline agent configuration.
#
# After editing, check it:   packline-agent check
# then (re)start the agent:  packline-agent service start   (or: systemctl restart packline-agent)
#
# Lines marked FILL IN must be set before the agent can reach TikTok Shop and
# the devices. Paths must be absolute. Durations are written like "30s" or "2m".

[agent]
# Where the store, backups, the station token, logs and label files live.
data_dir = '@DATA@'
# The warehouse's IANA time zone, for the 2-business-day dispatch clock.
time_zone = "America/Los_Angeles"
# Days that are not business days (YYYY-MM-DD).
holidays = []
# The dispatch promise in business days (TikTok Shop: 2).
dispatch_days = 2

[log]
# debug, info, warn or error.
level = "info"
# Empty: <data_dir>/logs/agent.log, rotated. "-" writes to standard error.
file = ""
max_size_mb = 10
max_backups = 5

[tiktok]
# FILL IN: the app key and secret of your TikTok Shop app (Partner Center).
app_key = ""
# The secret can also live in a file (app_secret_file, readable by the
# service only) or in the environment variable PACKLINE_TIKTOK_APP_SECRET.
app_secret = ""
app_secret_file = ""
# FILL IN once: the authorisation code from the seller's authorisation
# link; the agent exchanges it for tokens at first start and keeps them.
auth_code = ""
# Alternatively, a file holding a refresh token to start from.
refresh_token_file = ""
# The shop's cipher; empty: the agent uses the only authorised shop.
shop_cipher = ""
# FILL IN: the TikTok warehouse ids this site ships from.
warehouse_ids = []
# How often new orders are pulled.
poll_interval = "30s"
# Declared weight unit: POUND or GRAM. Label size: A6 or A5.
weight_unit = "POUND"
document_size = "A6"
timeout = "20s"
# TikTok's endpoints; a simulator or a test server can stand in.
api_base = "https://open-api.tiktokglobalshop.com"
auth_base = "https://auth.tiktok-shops.com"

[api]
# The local API for the station apps. Keep it on 127.0.0.1 unless stations
# on other machines connect; then set allow_lan = true and a LAN address.
listen = "127.0.0.1:7420"
allow_lan = false
# With allow_lan, the host names LAN stations use for this machine (IP
# addresses need no entry), e.g. ["pack-agent.lan"].
lan_hosts = []
# Empty: <data_dir>/ui-token (created by packline-agent init).
token_file = ""

[store]
# Empty: <data_dir>/packline.db, backups in <data_dir>/backups.
path = ""
max_size_mb = 1024
open_timeout = "2s"
backup_dir = ""
backup_keep = 7

[weight]
# A box passes when |measured - expected| <= max(tolerance_grams,
# tolerance_percent % of expected).
tolerance_grams = 30.0
tolerance_percent = 5.0
# Identical stable readings needed to accept a weight.
stable_readings = 3
# A product without a catalogue weight: "exception" (a lead decides) or "skip".
unknown_product = "exception"

[sync]
# Optional: your own endpoint that receives every pack record.
url = ""
token_file = ""

# FILL IN: one [[station]] per packing station, with its scale and printer.
# Device URIs (see the README, "Device URIs"), for example:
#   scale   = "nci+serial://@SERIAL@?baud=9600&parity=E&data=7"
#   scale   = "sics+tcp://10.1.2.3:4001"
#   scale   = "hidpos://@HID@"
#   printer = "zpl+tcp://10.1.2.9:9100"
#   printer = "@USB@"
#   scale   = "sim://scale"   and   printer = "sim://printer?dir=/tmp/labels"  (no hardware)
# Find attached devices with: packline-agent devices
[[station]]
id = "station-1"
name = "Station 1"
scale = ""
printer = ""
# Printer resolution: 203 or 300. Label stock: 4x6 (inches), 4x4, 100x150mm, A6.
dpi = 203
stock = "4x6"

# FILL IN: the boxes packers choose from; tare is the empty box's weight.
# [[box]]
# code = "S"
# name = "Small mailer"
# length = "10"
# width = "7"
# height = "3"
# unit = "INCH"     # INCH or CM
# tare_grams = 85

# Optional: barcodes the catalogue lacks, mapped to a SKU (case packs count units).
# [[barcode]]
# code = "0012345678905"
# sku_id = "1729582718312"
# units = 1
`
