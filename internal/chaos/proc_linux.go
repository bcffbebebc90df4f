package chaos

import "syscall"

// sysProcAttr makes the kernel kill a vigil process if the harness dies without
// cleaning up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
