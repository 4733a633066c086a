// hello is the smallest useful cgo program: a C function and the C library's sqrt.
// Cross-build it from this directory with `npx xcc exec linux/arm64 -- go build -o hello-linux-arm64 .`.
package main

/*
#cgo LDFLAGS: -lm
#include <math.h>
static double hypotenuse(double a, double b) { return sqrt(a * a + b * b); }
*/
import "C"

import (
	"fmt"
	"runtime"
)

func main() {
	fmt.Printf("hello from %s/%s: hypotenuse(3, 4) = %g\n", runtime.GOOS, runtime.GOARCH, float64(C.hypotenuse(3, 4)))
}
