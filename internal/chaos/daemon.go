package chaos

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Daemon is one `vigil run` process: its standard input a pipe kept open (the terminal
// chat waits on it), its output recorded line by line.
type Daemon struct {
	cmd     *exec.Cmd
	stdin   *os.File // the write end, held open until the process ends
	out     *Lines
	errs    *Lines
	done    chan struct{}
	exitErr error
	Started time.Time
}

// StartDaemon starts `vigil run --config config` in the config's directory, appending
// what it prints to out and errs. env is added to the environment.
func StartDaemon(binary, config string, out, errs *Lines, env ...string) (*Daemon, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, "run", "--config", config)
	cmd.Dir = filepath.Dir(config)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r, out, errs
	cmd.Env = daemonEnv(env)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("start vigil run: %w", err)
	}
	r.Close() // the child has its copy
	d := &Daemon{cmd: cmd, stdin: w, out: out, errs: errs, done: make(chan struct{}), Started: time.Now()}
	go func() {
		d.exitErr = cmd.Wait() // returns once the output is copied
		w.Close()
		out.Break()
		errs.Break()
		close(d.done)
	}()
	return d, nil
}

// PID is the process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Done is closed when the process has ended and its output is recorded.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// Alive reports whether the process is still running.
func (d *Daemon) Alive() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// ExitErr is how the process ended (after Done).
func (d *Daemon) ExitErr() error { return d.exitErr }

// Say types a line into the terminal chat.
func (d *Daemon) Say(line string) error {
	_, err := d.stdin.WriteString(line + "\n")
	return err
}

// Kill sends SIGKILL and waits for the process to end.
func (d *Daemon) Kill() {
	_ = d.cmd.Process.Kill()
	<-d.done
}

// Stop sends SIGTERM, waits up to grace for a clean exit, then kills. It returns the
// process's exit error (nil for a clean exit).
func (d *Daemon) Stop(grace time.Duration) error {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		return d.exitErr
	case <-time.After(grace):
		d.Kill()
		return fmt.Errorf("did not stop within %s of SIGTERM; killed", grace)
	}
}

// Memory is a process's resident memory as /proc/PID/status reports it.
type Memory struct {
	Peak    int64 // VmHWM, bytes: the high-water mark of the resident set
	Current int64 // VmRSS, bytes
}

// Memory reads the process's memory; zero where /proc is not available.
func (d *Daemon) Memory() Memory {
	return procMemory(d.PID())
}

func procMemory(pid int) Memory {
	var m Memory
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return m
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		f := bytes.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			continue
		}
		switch string(k) {
		case "VmHWM":
			m.Peak = n << 10
		case "VmRSS":
			m.Current = n << 10
		}
	}
	return m
}

// MB formats a byte count in MiB.
func MB(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// WaitStarted waits until the process logs that it has started (its database migrated,
// its job engine running). Other vigil commands on the same fresh database must wait
// for it: two processes migrating one SQLite file at once fail.
func (d *Daemon) WaitStarted(limit time.Duration) error {
	deadline := time.After(limit)
	for {
		changed := d.errs.Changed()
		for _, l := range d.errs.Snapshot() {
			if !l.At.Before(d.Started) && (strings.Contains(l.Text, `msg="vigil started"`) || strings.Contains(l.Text, `"msg":"vigil started"`)) {
				return nil
			}
		}
		select {
		case <-d.done:
			return fmt.Errorf("vigil run exited before it started: %v", d.exitErr)
		case <-deadline:
			return fmt.Errorf("vigil run did not log its start within %s", limit)
		case <-changed:
		}
	}
}
