// Package theme is the station app's Fyne theme: dark, high contrast and
// large type, legible from a metre away at 1366x768 and on HiDPI screens.
package theme

import (
	"image/color"

	"fyne.io/fyne/v2"
	fynetheme "fyne.io/fyne/v2/theme"
)

// Text sizes (in Fyne units, scaled by the screen) for the parts of the
// station screens that use canvas text directly.
const (
	SizeBanner   = 24
	SizeHeadline = 40
	SizeOrder    = 30
	SizeLine     = 24
	SizeWeight   = 56
	SizeAlert    = 110
	SizeAlertSub = 36
	SizeHint     = 18
	SizeQueue    = 22
)

// Colours beyond the base palette.
var (
	Background = color.NRGBA{R: 0x12, G: 0x14, B: 0x17, A: 0xff}
	Panel      = color.NRGBA{R: 0x1e, G: 0x22, B: 0x27, A: 0xff}
	Foreground = color.NRGBA{R: 0xf2, G: 0xf4, B: 0xf6, A: 0xff}
	Dim        = color.NRGBA{R: 0xa8, G: 0xb0, B: 0xb8, A: 0xff}
	Focus      = color.NRGBA{R: 0x3d, G: 0x9b, B: 0xff, A: 0xff}
	Done       = color.NRGBA{R: 0x3f, G: 0xd0, B: 0x6a, A: 0xff}
)

// Theme wraps Fyne's default theme, always in its dark variant, with larger
// sizes.
type Theme struct {
	base fyne.Theme
}

// New returns the station theme.
func New() *Theme { return &Theme{base: fynetheme.DefaultTheme()} }

var _ fyne.Theme = (*Theme)(nil)

// Color implements fyne.Theme.
func (t *Theme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case fynetheme.ColorNameBackground:
		return Background
	case fynetheme.ColorNameForeground:
		return Foreground
	case fynetheme.ColorNameInputBackground, fynetheme.ColorNameOverlayBackground, fynetheme.ColorNameMenuBackground:
		return Panel
	case fynetheme.ColorNamePrimary, fynetheme.ColorNameFocus:
		return Focus
	case fynetheme.ColorNamePlaceHolder:
		return Dim
	}
	return t.base.Color(n, fynetheme.VariantDark)
}

// Font implements fyne.Theme.
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource { return t.base.Font(s) }

// Icon implements fyne.Theme.
func (t *Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base.Icon(n) }

// Size implements fyne.Theme.
func (t *Theme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case fynetheme.SizeNameText:
		return 22
	case fynetheme.SizeNameHeadingText:
		return 34
	case fynetheme.SizeNameSubHeadingText:
		return 26
	case fynetheme.SizeNameCaptionText:
		return 16
	case fynetheme.SizeNameInputBorder:
		return 3
	case fynetheme.SizeNameInlineIcon:
		return 28
	case fynetheme.SizeNamePadding:
		return 6
	}
	return t.base.Size(n)
}
