package chaos

import (
	"bufio"
	enc "encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr makes the kernel kill a vigil process if the harness dies without
// cleaning up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// connOwner returns which of pids holds the client end of the IPv4 TCP connection from
// client to server (as the server sees them: r.RemoteAddr and its own address): the
// socket's inode from /proc/net/tcp, then the process whose open files include it.
func connOwner(client, server string, pids []int) (int, error) {
	local, err := procAddr(client)
	if err != nil {
		return 0, err
	}
	remote, err := procAddr(server)
	if err != nil {
		return 0, err
	}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	inode := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 9 && fs[1] == local && fs[2] == remote {
			inode = fs[9]
			break
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if inode == "" || inode == "0" {
		return 0, fmt.Errorf("no socket from %s to %s in /proc/net/tcp", client, server)
	}
	want := "socket:[" + inode + "]"
	for _, pid := range pids {
		dir := "/proc/" + strconv.Itoa(pid) + "/fd"
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue // ended meanwhile
		}
		for _, e := range ents {
			if l, err := os.Readlink(dir + "/" + e.Name()); err == nil && l == want {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no process among %v holds the socket from %s to %s", pids, client, server)
}

// procAddr writes an IPv4 address as /proc/net/tcp does: the address as a native-endian
// 32-bit word in hex, then the port.
func procAddr(hostport string) (string, error) {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return "", err
	}
	if !ap.Addr().Unmap().Is4() {
		return "", fmt.Errorf("%s: only IPv4 connections are looked up", hostport)
	}
	b := ap.Addr().Unmap().As4()
	return fmt.Sprintf("%08X:%04X", enc.NativeEndian.Uint32(b[:]), ap.Port()), nil
}
