package runtime

import "github.com/coxswain/coxswain/types"

// The constants of Kubernetes' cpu arithmetic.
const (
	// MinShares and MaxShares bound cgroup cpu shares.
	MinShares = 2
	MaxShares = 262144
	// SharesPerCPU is the weight of one whole cpu.
	SharesPerCPU = 1024
	// QuotaPeriod is the CFS period, in microseconds, the kubelet uses.
	QuotaPeriod = 100000
	// MinQuota is the smallest CFS quota the kernel accepts, in microseconds.
	MinQuota = 1000
)

// CPUShares converts milli-cpus to cgroup cpu shares as the kubelet does:
// milliCPU*1024/1000, at least 2 and at most 262144.
func CPUShares(milliCPU int64) int64 {
	if milliCPU == 0 {
		return MinShares
	}
	shares := milliCPU * SharesPerCPU / 1000
	return min(max(shares, MinShares), MaxShares)
}

// CPUQuota converts a milli-cpu limit to a CFS quota for period, as the
// kubelet does: milliCPU*period/1000, at least 1000; zero (no limit) for
// zero.
func CPUQuota(milliCPU, period int64) int64 {
	if milliCPU == 0 {
		return 0
	}
	return max(milliCPU*period/1000, MinQuota)
}

// ResourcesFor returns the limits a runtime enforces for r, as the kubelet
// computes them: shares from the cpu request (from the limit when no request
// is given), quota from the cpu limit over a 100ms period, and the memory
// limit in bytes.
func ResourcesFor(r types.ResourceRequirements) Resources {
	var out Resources
	cpuReq, hasReq := r.Requests[types.ResourceCPU]
	cpuLim := r.Limits[types.ResourceCPU]
	if !hasReq && !cpuLim.IsZero() {
		out.CPUShares = CPUShares(cpuLim.MilliValue())
	} else {
		out.CPUShares = CPUShares(cpuReq.MilliValue())
	}
	out.CPUPeriod = QuotaPeriod
	out.CPUQuota = CPUQuota(cpuLim.MilliValue(), QuotaPeriod)
	if mem := r.Limits[types.ResourceMemory]; mem.Value() > 0 {
		out.MemoryLimit = mem.Value()
	}
	return out
}
