package redistest

import "syscall"

// sysProcAttr makes the kernel kill a server when the test binary dies without running its
// cleanups (a panic, or go test's -timeout), so no redis-server outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
