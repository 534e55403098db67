package agent

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/coxswain/coxswain/types"
)

// ReadMemInfo reads MemTotal and MemAvailable from /proc/meminfo.
func ReadMemInfo() (MemInfo, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return MemInfo{}, err
	}
	return ParseMemInfo(b)
}

// ParseMemInfo parses the text of /proc/meminfo ("MemTotal: 16318412 kB").
// MemAvailable missing (old kernels) is MemFree+Buffers+Cached.
func ParseMemInfo(b []byte) (MemInfo, error) {
	vals := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			return MemInfo{}, fmt.Errorf("meminfo: field %s: bad value %q", k, f[0])
		}
		if len(f) > 1 && f[1] == "kB" {
			if n > (1<<62)/1024 {
				return MemInfo{}, fmt.Errorf("meminfo: field %s: value %q too large", k, f[0])
			}
			n *= 1024
		}
		vals[k] = n
	}
	total, ok := vals["MemTotal"]
	if !ok {
		return MemInfo{}, fmt.Errorf("meminfo: no MemTotal field")
	}
	avail, ok := vals["MemAvailable"]
	if !ok {
		avail = vals["MemFree"] + vals["Buffers"] + vals["Cached"]
		if avail < 0 {
			return MemInfo{}, fmt.Errorf("meminfo: MemFree+Buffers+Cached overflows")
		}
	}
	return MemInfo{Total: total, Available: avail}, nil
}

// machineCapacity returns the capacity read from the machine, overridden
// per resource by override.
func machineCapacity(root string, mem func() (MemInfo, error), override types.ResourceList) types.ResourceList {
	c := types.ResourceList{
		types.ResourceCPU:  types.NewQuantity(int64(goruntime.NumCPU()), types.DecimalSI),
		types.ResourcePods: types.NewQuantity(defaultMaxPods, types.DecimalSI),
	}
	if _, ok := override[types.ResourceMemory]; !ok {
		if mi, err := mem(); err == nil {
			c[types.ResourceMemory] = types.NewQuantity(mi.Total, types.BinarySI)
		}
	}
	if _, ok := override[types.ResourceEphemeralStorage]; !ok {
		var st syscall.Statfs_t
		if err := syscall.Statfs(root, &st); err == nil {
			c[types.ResourceEphemeralStorage] = types.NewQuantity(int64(st.Blocks)*int64(st.Bsize), types.BinarySI)
		}
	}
	for k, v := range override {
		c[k] = v
	}
	return c
}

// allocatable is capacity minus reserved, never below zero.
func allocatable(capacity, reserved types.ResourceList) types.ResourceList {
	a := make(types.ResourceList, len(capacity))
	for k, v := range capacity {
		if r, ok := reserved[k]; ok {
			v = v.Sub(r)
			if v.Sign() < 0 {
				v = types.NewQuantity(0, v.Format())
			}
		}
		a[k] = v
	}
	return a
}

func systemInfo() types.NodeSystemInfo {
	info := types.NodeSystemInfo{
		OperatingSystem: goruntime.GOOS,
		Architecture:    goruntime.GOARCH,
		KubeletVersion:  Version,
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		info.KernelVersion = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/machine-id"); err == nil {
		info.MachineID = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		info.BootID = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				info.OSImage = strings.Trim(v, `"`)
			}
		}
	}
	return info
}

// nodeAddresses completes addrs with an InternalIP and a Hostname.
func nodeAddresses(addrs []types.NodeAddress, hostname string) []types.NodeAddress {
	out := append([]types.NodeAddress(nil), addrs...)
	has := func(t types.NodeAddressType) bool {
		for _, a := range out {
			if a.Type == t {
				return true
			}
		}
		return false
	}
	if !has(types.NodeInternalIP) {
		ip := "127.0.0.1"
		if ifs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range ifs {
				if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
					ip = n.IP.String()
					break
				}
			}
		}
		out = append(out, types.NodeAddress{Type: types.NodeInternalIP, Address: ip})
	}
	if !has(types.NodeHostName) {
		out = append(out, types.NodeAddress{Type: types.NodeHostName, Address: hostname})
	}
	return out
}

func internalIP(addrs []types.NodeAddress) string {
	for _, a := range addrs {
		if a.Type == types.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}
