package theme

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	fynetheme "fyne.io/fyne/v2/theme"
)

func TestLargerThanDefaultAndDark(t *testing.T) {
	th, base := New(), fynetheme.DefaultTheme()
	for _, n := range []fyne.ThemeSizeName{fynetheme.SizeNameText, fynetheme.SizeNameHeadingText, fynetheme.SizeNameSubHeadingText} {
		if got, def := th.Size(n), base.Size(n); got < def*1.3 {
			t.Errorf("%s: %v is not much larger than the default %v", n, got, def)
		}
	}
	for _, v := range []fyne.ThemeVariant{fynetheme.VariantLight, fynetheme.VariantDark} {
		bg := color.NRGBAModel.Convert(th.Color(fynetheme.ColorNameBackground, v)).(color.NRGBA)
		fg := color.NRGBAModel.Convert(th.Color(fynetheme.ColorNameForeground, v)).(color.NRGBA)
		if int(fg.R)-int(bg.R) < 180 {
			t.Errorf("variant %d: foreground %v on background %v lacks contrast", v, fg, bg)
		}
	}
	if th.Size(fynetheme.SizeNameInputBorder) < 2 {
		t.Error("the focused scan field's border is too thin to see")
	}
}
