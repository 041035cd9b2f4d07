//go:build unix

package loadgen

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) this process has used: the target, the
// generator and the fake Bot API together, as they share the machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
