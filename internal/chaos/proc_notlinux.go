//go:build !linux

package chaos

import (
	"errors"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

func connOwner(client, server string, pids []int) (int, error) {
	return 0, errors.New("finding a connection's process needs Linux's /proc")
}
