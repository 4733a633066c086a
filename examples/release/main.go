// release is a cgo program built for several targets by GoReleaser with one CC (see .goreleaser.yaml):
// `goreleaser build --snapshot --clean` from this directory, with xcc on PATH.
package main

/*
#include <stdio.h>
static int answer(void) { return 6 * 7; }
static const char *libc(void) {
#if defined(__GLIBC__)
	return "glibc";
#elif defined(_WIN32)
	return "mingw";
#else
	return "musl";
#endif
}
*/
import "C"

import (
	"fmt"
	"runtime"
)

func main() {
	fmt.Printf("release for %s/%s (%s): answer %d\n", runtime.GOOS, runtime.GOARCH, C.GoString(C.libc()), int(C.answer()))
}
