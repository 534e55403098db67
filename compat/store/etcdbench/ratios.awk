# ratios.awk reads `go test -bench` output of this package (one or more
# rounds) and prints, per workload, coxswain's figure over etcd's in each
# round and the median. Above 1 means coxswain is ahead:
#   speed: throughput (ops/s, events/s) coxswain/etcd, or time per list
#          (ns/op) etcd/coxswain;
#   cpu:   CPU per operation or event, etcd/coxswain (less work per op is
#          ahead; this one barely depends on the machine's load).
function parse(line,   n, f, i) {
	delete m
	n = split(line, f, /[ \t]+/)
	for (i = 2; i <= n; i++) m[f[i]] = f[i-1]
}
function median(key, n,   i, j, t, s) {
	for (i = 1; i <= n; i++) s[i] = r[key, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
	return (n % 2) ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
}
{ gsub(/\{"level".*\}/, "") }
/^Benchmark/ && !/ns\/op/ { held = $1; next }
held != "" && /ns\/op/ { $0 = held " " $0; held = "" }
/^Benchmark.*ns\/op/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	sys = (name ~ /\/etcd/) ? "etcd" : (name ~ /\/coxswain/) ? "coxswain" : ""
	if (sys == "") next
	w = name; sub("/" sys, "", w)
	parse($0)
	if ("ops/s" in m) { sp = m["ops/s"]; inv = 0 } else if ("events/s" in m) { sp = m["events/s"]; inv = 0 } else { sp = m["ns/op"]; inv = 1 }
	cpu = ("cpu-us/op" in m) ? m["cpu-us/op"] : ("cpu-ns/event" in m) ? m["cpu-ns/event"] : ""
	if (sys == "etcd") { esp[w] = sp; ecpu[w] = cpu; next }
	if (!(w in esp)) next
	if (!(w in cnt)) order[++nw] = w
	k = ++cnt[w]
	r["s" w, k] = inv ? esp[w] / sp : sp / esp[w]
	r["c" w, k] = (cpu != "" && ecpu[w] != "") ? ecpu[w] / cpu : 0
	vals[w] = vals[w] sprintf(" %s/%s", esp[w], sp)
	delete esp[w]
}
END {
	printf "%-38s %6s %6s   %s\n", "workload", "speed", "cpu", "speed per round (etcd/coxswain figures)"
	for (i = 1; i <= nw; i++) {
		w = order[i]; n = cnt[w]; line = ""
		for (k = 1; k <= n; k++) line = line sprintf(" %.2f", r["s" w, k])
		printf "%-38s %6.2f %6.2f  %s  (%s )\n", w, median("s" w, n), median("c" w, n), line, vals[w]
	}
}
