//go:build !unix

package loadgen

import "time"

// processCPU is not measured outside Unix; CPU per update then reads 0.
func processCPU() time.Duration { return 0 }
