// Package all links every scale protocol and the simulator into the
// scale registry:
//
//	import _ "github.com/packline/packline/drivers/scale/all"
package all

import (
	_ "github.com/packline/packline/drivers/scale/hidpos"
	_ "github.com/packline/packline/drivers/scale/nci"
	_ "github.com/packline/packline/drivers/scale/scalesim"
	_ "github.com/packline/packline/drivers/scale/sics"
	_ "github.com/packline/packline/drivers/scale/sma"
	_ "github.com/packline/packline/drivers/scale/toledo8217"
	_ "github.com/packline/packline/drivers/scale/toledocont"
)
