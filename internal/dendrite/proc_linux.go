package dendrite

import "syscall"

// sysProcAttr makes the kernel kill Dendrite if the test binary dies without cleaning up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
