package remote

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/coxswain/coxswain/labels"
	"github.com/coxswain/coxswain/types"
)

// Table is meta.k8s.io/v1 Table: what the server answers a request whose
// Accept asks for application/json;as=Table;v=v1;g=meta.k8s.io (as
// `kubectl get` does), with the columns Kubernetes prints for each kind.
type Table struct {
	Kind              string        `json:"kind"`
	APIVersion        string        `json:"apiVersion"`
	Metadata          ListMeta      `json:"metadata"`
	ColumnDefinitions []TableColumn `json:"columnDefinitions"`
	Rows              []TableRow    `json:"rows"`
}

// TableColumn describes one column; Priority 0 columns are always shown,
// higher ones with -o wide.
type TableColumn struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Format      string `json:"format"`
	Description string `json:"description"`
	Priority    int32  `json:"priority"`
}

// TableRow is one object's cells and (as includeObject asks) the object
// or its metadata.
type TableRow struct {
	Cells  []any           `json:"cells"`
	Object json.RawMessage `json:"object,omitempty"`
}

// wantsTable reports whether an Accept header asks for a v1 Table first
// (before plain JSON).
func wantsTable(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		mt := strings.TrimSpace(fields[0])
		var as, g, v string
		for _, p := range fields[1:] {
			k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
			switch k {
			case "as":
				as = val
			case "g":
				g = val
			case "v":
				v = val
			}
		}
		if as == "" {
			if mt == "application/json" || mt == "*/*" {
				return false
			}
			continue
		}
		if as == "Table" && g == "meta.k8s.io" && v == "v1" && (mt == "application/json" || mt == "*/*") {
			return true
		}
	}
	return false
}

type column struct {
	name, typ, format, desc string
	priority                int32
}

func col(name, typ string) column  { return column{name: name, typ: typ} }
func wide(name, typ string) column { return column{name: name, typ: typ, priority: 1} }

var nameColumn = column{name: "Name", typ: "string", format: "name", desc: "Name must be unique within a namespace."}

// printer gives a kind's columns (after Name) and the cells of one object.
type printer struct {
	columns []column
	cells   func(obj types.Object, now time.Time) []any
}

func age(m *types.ObjectMeta, now time.Time) string {
	if m.CreationTimestamp.IsZero() {
		return "<unknown>"
	}
	return humanDuration(now.Sub(m.CreationTimestamp.Time))
}

// humanDuration prints a duration as kubectl does: 5s, 3m20s, 2d4h, 3y.
func humanDuration(d time.Duration) string {
	if seconds := int(d.Seconds()); seconds < -1 {
		return "<invalid>"
	} else if seconds < 0 {
		return "0s"
	} else if seconds < 60*2 {
		return fmt.Sprintf("%ds", seconds)
	}
	minutes := int(d / time.Minute)
	if minutes < 10 {
		s := int(d/time.Second) % 60
		if s == 0 {
			return fmt.Sprintf("%dm", minutes)
		}
		return fmt.Sprintf("%dm%ds", minutes, s)
	} else if minutes < 60*3 {
		return fmt.Sprintf("%dm", minutes)
	}
	hours := int(d / time.Hour)
	if hours < 8 {
		m := int(d/time.Minute) % 60
		if m == 0 {
			return fmt.Sprintf("%dh", hours)
		}
		return fmt.Sprintf("%dh%dm", hours, m)
	} else if hours < 48 {
		return fmt.Sprintf("%dh", hours)
	} else if hours < 24*8 {
		h := hours % 24
		if h == 0 {
			return fmt.Sprintf("%dd", hours/24)
		}
		return fmt.Sprintf("%dd%dh", hours/24, h)
	} else if hours < 24*365*2 {
		return fmt.Sprintf("%dd", hours/24)
	} else if hours < 24*365*8 {
		dy := int(hours/24) % 365
		if dy == 0 {
			return fmt.Sprintf("%dy", hours/24/365)
		}
		return fmt.Sprintf("%dy%dd", hours/24/365, dy)
	}
	return fmt.Sprintf("%dy", hours/24/365)
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func containersImages(spec *types.PodSpec) (string, string) {
	var names, images []string
	for _, c := range spec.Containers {
		names = append(names, c.Name)
		images = append(images, c.Image)
	}
	return strings.Join(names, ","), strings.Join(images, ",")
}

func selectorString(ls *types.LabelSelector) string {
	if ls == nil {
		return "<none>"
	}
	sel, err := ls.AsSelector()
	if err != nil {
		return "<error>"
	}
	if sel.Empty() {
		return "<none>"
	}
	return sel.String()
}

func mapSelector(m map[string]string) string {
	if len(m) == 0 {
		return "<none>"
	}
	return labels.SelectorFromSet(m).String()
}

var (
	workloadWide = []column{wide("Containers", "string"), wide("Images", "string"), wide("Selector", "string")}
	ageColumn    = col("Age", "string")
)

// printers holds the columns per kind, as Kubernetes' printers define them.
var printers = map[string]printer{
	"Pod": {
		columns: []column{col("Ready", "string"), col("Status", "string"), col("Restarts", "string"), ageColumn,
			wide("IP", "string"), wide("Node", "string"), wide("Nominated Node", "string"), wide("Readiness Gates", "string")},
		cells: func(o types.Object, now time.Time) []any {
			p := o.(*types.Pod)
			ready, restarts := 0, 0
			var lastRestart time.Time
			reason := string(p.Status.Phase)
			if p.Status.Reason != "" {
				reason = p.Status.Reason
			}
			for _, c := range p.Status.ContainerStatuses {
				restarts += int(c.RestartCount)
				if t := c.LastTerminationState.Terminated; t != nil && t.FinishedAt.Time.After(lastRestart) {
					lastRestart = t.FinishedAt.Time
				}
				switch {
				case c.State.Waiting != nil && c.State.Waiting.Reason != "":
					reason = c.State.Waiting.Reason
				case c.State.Terminated != nil && c.State.Terminated.Reason != "":
					reason = c.State.Terminated.Reason
				case c.State.Terminated != nil:
					if c.State.Terminated.Signal != 0 {
						reason = fmt.Sprintf("Signal:%d", c.State.Terminated.Signal)
					} else {
						reason = fmt.Sprintf("ExitCode:%d", c.State.Terminated.ExitCode)
					}
				case c.Ready && c.State.Running != nil:
					ready++
				}
			}
			if p.DeletionTimestamp != nil {
				reason = "Terminating"
			}
			rs := strconv.Itoa(restarts)
			if !lastRestart.IsZero() {
				rs = fmt.Sprintf("%d (%s ago)", restarts, humanDuration(now.Sub(lastRestart)))
			}
			return []any{fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers)), orNone(reason), rs, age(&p.ObjectMeta, now),
				orNone(p.Status.PodIP), orNone(p.Spec.NodeName), orNone(p.Status.NominatedNodeName), "<none>"}
		},
	},
	"Deployment": {
		columns: append([]column{col("Ready", "string"), col("Up-to-date", "integer"), col("Available", "integer"), ageColumn}, workloadWide...),
		cells: func(o types.Object, now time.Time) []any {
			d := o.(*types.Deployment)
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			c, i := containersImages(&d.Spec.Template.Spec)
			return []any{fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, want), d.Status.UpdatedReplicas, d.Status.AvailableReplicas, age(&d.ObjectMeta, now), c, i, selectorString(d.Spec.Selector)}
		},
	},
	"ReplicaSet": {
		columns: append([]column{col("Desired", "integer"), col("Current", "integer"), col("Ready", "integer"), ageColumn}, workloadWide...),
		cells: func(o types.Object, now time.Time) []any {
			r := o.(*types.ReplicaSet)
			want := int32(1)
			if r.Spec.Replicas != nil {
				want = *r.Spec.Replicas
			}
			c, i := containersImages(&r.Spec.Template.Spec)
			return []any{want, r.Status.Replicas, r.Status.ReadyReplicas, age(&r.ObjectMeta, now), c, i, selectorString(r.Spec.Selector)}
		},
	},
	"ReplicationController": {
		columns: append([]column{col("Desired", "integer"), col("Current", "integer"), col("Ready", "integer"), ageColumn}, workloadWide...),
		cells: func(o types.Object, now time.Time) []any {
			r := o.(*types.ReplicationController)
			want := int32(1)
			if r.Spec.Replicas != nil {
				want = *r.Spec.Replicas
			}
			c, i := "", ""
			if r.Spec.Template != nil {
				c, i = containersImages(&r.Spec.Template.Spec)
			}
			return []any{want, r.Status.Replicas, r.Status.ReadyReplicas, age(&r.ObjectMeta, now), c, i, mapSelector(r.Spec.Selector)}
		},
	},
	"StatefulSet": {
		columns: []column{col("Ready", "string"), ageColumn, wide("Containers", "string"), wide("Images", "string")},
		cells: func(o types.Object, now time.Time) []any {
			s := o.(*types.StatefulSet)
			want := int32(1)
			if s.Spec.Replicas != nil {
				want = *s.Spec.Replicas
			}
			c, i := containersImages(&s.Spec.Template.Spec)
			return []any{fmt.Sprintf("%d/%d", s.Status.ReadyReplicas, want), age(&s.ObjectMeta, now), c, i}
		},
	},
	"DaemonSet": {
		columns: append([]column{col("Desired", "integer"), col("Current", "integer"), col("Ready", "integer"), col("Up-to-date", "integer"), col("Available", "integer"), col("Node Selector", "string"), ageColumn}, workloadWide...),
		cells: func(o types.Object, now time.Time) []any {
			d := o.(*types.DaemonSet)
			c, i := containersImages(&d.Spec.Template.Spec)
			return []any{d.Status.DesiredNumberScheduled, d.Status.CurrentNumberScheduled, d.Status.NumberReady, d.Status.UpdatedNumberScheduled, d.Status.NumberAvailable,
				mapSelector(d.Spec.Template.Spec.NodeSelector), age(&d.ObjectMeta, now), c, i, selectorString(d.Spec.Selector)}
		},
	},
	"Service": {
		columns: []column{col("Type", "string"), col("Cluster-IP", "string"), col("External-IP", "string"), col("Port(s)", "string"), ageColumn, wide("Selector", "string")},
		cells: func(o types.Object, now time.Time) []any {
			s := o.(*types.Service)
			var ports []string
			for _, p := range s.Spec.Ports {
				if p.NodePort != 0 {
					ports = append(ports, fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol))
				} else {
					ports = append(ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
				}
			}
			ext := s.Spec.ExternalIPs
			for _, in := range s.Status.LoadBalancer.Ingress {
				if in.IP != "" {
					ext = append(ext, in.IP)
				} else if in.Hostname != "" {
					ext = append(ext, in.Hostname)
				}
			}
			extS := strings.Join(ext, ",")
			if extS == "" {
				extS = "<none>"
				if s.Spec.Type == "LoadBalancer" {
					extS = "<pending>"
				}
			}
			if s.Spec.Type == "ExternalName" {
				extS = s.Spec.ExternalName
			}
			typ := string(s.Spec.Type)
			if typ == "" {
				typ = "ClusterIP"
			}
			return []any{typ, orNone(s.Spec.ClusterIP), extS, orNone(strings.Join(ports, ",")), age(&s.ObjectMeta, now), mapSelector(s.Spec.Selector)}
		},
	},
	"Node": {
		columns: []column{col("Status", "string"), col("Roles", "string"), ageColumn, col("Version", "string"),
			wide("Internal-IP", "string"), wide("External-IP", "string"), wide("OS-Image", "string"), wide("Kernel-Version", "string"), wide("Container-Runtime", "string")},
		cells: func(o types.Object, now time.Time) []any {
			n := o.(*types.Node)
			status := []string{"Unknown"}
			for _, c := range n.Status.Conditions {
				if c.Type == types.NodeReady {
					if c.Status == types.ConditionTrue {
						status[0] = "Ready"
					} else {
						status[0] = "NotReady"
					}
				}
			}
			if n.Spec.Unschedulable {
				status = append(status, "SchedulingDisabled")
			}
			var roles []string
			for k := range n.Labels {
				if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
					roles = append(roles, r)
				}
			}
			sort.Strings(roles)
			in, ex := "<none>", "<none>"
			for _, a := range n.Status.Addresses {
				switch a.Type {
				case "InternalIP":
					if in == "<none>" {
						in = a.Address
					}
				case "ExternalIP":
					if ex == "<none>" {
						ex = a.Address
					}
				}
			}
			ni := n.Status.NodeInfo
			return []any{strings.Join(status, ","), orNone(strings.Join(roles, ",")), age(&n.ObjectMeta, now), ni.KubeletVersion,
				in, ex, orNone(ni.OSImage), orNone(ni.KernelVersion), orNone(ni.ContainerRuntimeVersion)}
		},
	},
	"Namespace": {
		columns: []column{col("Status", "string"), ageColumn},
		cells: func(o types.Object, now time.Time) []any {
			n := o.(*types.Namespace)
			return []any{n.Status.Phase, age(&n.ObjectMeta, now)}
		},
	},
	"ConfigMap": {
		columns: []column{col("Data", "integer"), ageColumn},
		cells: func(o types.Object, now time.Time) []any {
			c := o.(*types.ConfigMap)
			return []any{len(c.Data) + len(c.BinaryData), age(&c.ObjectMeta, now)}
		},
	},
	"Secret": {
		columns: []column{col("Type", "string"), col("Data", "integer"), ageColumn},
		cells: func(o types.Object, now time.Time) []any {
			s := o.(*types.Secret)
			return []any{string(s.Type), len(s.Data), age(&s.ObjectMeta, now)}
		},
	},
	"ServiceAccount": {
		columns: []column{col("Secrets", "integer"), ageColumn},
		cells: func(o types.Object, now time.Time) []any {
			s := o.(*types.ServiceAccount)
			return []any{len(s.Secrets), age(&s.ObjectMeta, now)}
		},
	},
	"Job": {
		columns: append([]column{col("Status", "string"), col("Completions", "string"), col("Duration", "string"), ageColumn}, workloadWide...),
		cells: func(o types.Object, now time.Time) []any {
			j := o.(*types.Job)
			comp := fmt.Sprintf("%d/1", j.Status.Succeeded)
			if j.Spec.Completions != nil {
				comp = fmt.Sprintf("%d/%d", j.Status.Succeeded, *j.Spec.Completions)
			} else if j.Spec.Parallelism != nil && *j.Spec.Parallelism > 1 {
				comp = fmt.Sprintf("%d/1 of %d", j.Status.Succeeded, *j.Spec.Parallelism)
			}
			status := "Running"
			if j.Spec.Suspend != nil && *j.Spec.Suspend {
				status = "Suspended"
			}
			for _, c := range j.Status.Conditions {
				if c.Status != types.ConditionTrue {
					continue
				}
				switch c.Type {
				case types.JobComplete:
					status = "Complete"
				case types.JobFailed:
					status = "Failed"
				}
			}
			dur := ""
			if j.Status.StartTime != nil {
				end := now
				if j.Status.CompletionTime != nil {
					end = j.Status.CompletionTime.Time
				}
				dur = humanDuration(end.Sub(j.Status.StartTime.Time))
			}
			c, i := containersImages(&j.Spec.Template.Spec)
			return []any{status, comp, dur, age(&j.ObjectMeta, now), c, i, selectorString(j.Spec.Selector)}
		},
	},
	"CronJob": {
		columns: append([]column{col("Schedule", "string"), col("Timezone", "string"), col("Suspend", "boolean"), col("Active", "integer"), col("Last Schedule", "string"), ageColumn}, workloadWide...),
		cells: func(o types.Object, now time.Time) []any {
			c := o.(*types.CronJob)
			last := "<none>"
			if c.Status.LastScheduleTime != nil {
				last = humanDuration(now.Sub(c.Status.LastScheduleTime.Time))
			}
			tz := "<none>"
			if c.Spec.TimeZone != nil {
				tz = *c.Spec.TimeZone
			}
			suspend := c.Spec.Suspend != nil && *c.Spec.Suspend
			cs, is := containersImages(&c.Spec.JobTemplate.Spec.Template.Spec)
			return []any{c.Spec.Schedule, tz, suspend, len(c.Status.Active), last, age(&c.ObjectMeta, now), cs, is, selectorString(c.Spec.JobTemplate.Spec.Selector)}
		},
	},
	"Endpoints": {
		columns: []column{col("Endpoints", "string"), ageColumn},
		cells: func(o types.Object, now time.Time) []any {
			e := o.(*types.Endpoints)
			var list []string
			for _, s := range e.Subsets {
				for _, a := range s.Addresses {
					if len(s.Ports) == 0 {
						list = append(list, a.IP)
					}
					for _, p := range s.Ports {
						list = append(list, fmt.Sprintf("%s:%d", a.IP, p.Port))
					}
				}
			}
			out := "<none>"
			if len(list) > 3 {
				out = strings.Join(list[:3], ",") + fmt.Sprintf(" + %d more...", len(list)-3)
			} else if len(list) > 0 {
				out = strings.Join(list, ",")
			}
			return []any{out, age(&e.ObjectMeta, now)}
		},
	},
	"Event": {
		columns: []column{col("Last Seen", "string"), col("Type", "string"), col("Reason", "string"), col("Object", "string"), col("Message", "string")},
		cells: func(o types.Object, now time.Time) []any {
			e := o.(*types.Event)
			t := e.LastTimestamp.Time
			if t.IsZero() {
				t = e.EventTime.Time
			}
			if t.IsZero() {
				t = e.CreationTimestamp.Time
			}
			obj := strings.ToLower(e.InvolvedObject.Kind) + "/" + e.InvolvedObject.Name
			return []any{humanDuration(now.Sub(t)), e.Type, e.Reason, obj, strings.TrimSpace(e.Message)}
		},
	},
	"PersistentVolumeClaim": {
		columns: []column{col("Status", "string"), col("Volume", "string"), col("Capacity", "string"), col("Access Modes", "string"), col("StorageClass", "string"), ageColumn},
		cells: func(o types.Object, now time.Time) []any {
			c := o.(*types.PersistentVolumeClaim)
			capacity := ""
			if q, ok := c.Status.Capacity["storage"]; ok {
				capacity = q.String()
			}
			sc := "<unset>"
			if c.Spec.StorageClassName != nil {
				sc = *c.Spec.StorageClassName
			}
			return []any{string(c.Status.Phase), c.Spec.VolumeName, capacity, accessModes(c.Status.AccessModes), sc, age(&c.ObjectMeta, now)}
		},
	},
	"PersistentVolume": {
		columns: []column{col("Capacity", "string"), col("Access Modes", "string"), col("Reclaim Policy", "string"), col("Status", "string"), col("Claim", "string"), col("StorageClass", "string"), ageColumn},
		cells: func(o types.Object, now time.Time) []any {
			v := o.(*types.PersistentVolume)
			capacity := ""
			if q, ok := v.Spec.Capacity["storage"]; ok {
				capacity = q.String()
			}
			claim := ""
			if v.Spec.ClaimRef != nil {
				claim = v.Spec.ClaimRef.Namespace + "/" + v.Spec.ClaimRef.Name
			}
			return []any{capacity, accessModes(v.Spec.AccessModes), string(v.Spec.PersistentVolumeReclaimPolicy), string(v.Status.Phase), claim, v.Spec.StorageClassName, age(&v.ObjectMeta, now)}
		},
	},
	"HorizontalPodAutoscaler": {
		columns: []column{col("Reference", "string"), col("MinPods", "string"), col("MaxPods", "integer"), col("Replicas", "integer"), ageColumn},
		cells: func(o types.Object, now time.Time) []any {
			h := o.(*types.HorizontalPodAutoscaler)
			minPods := "<unset>"
			if h.Spec.MinReplicas != nil {
				minPods = strconv.Itoa(int(*h.Spec.MinReplicas))
			}
			return []any{h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name, minPods, h.Spec.MaxReplicas, h.Status.CurrentReplicas, age(&h.ObjectMeta, now)}
		},
	},
	"PodDisruptionBudget": {
		columns: []column{col("Min Available", "string"), col("Max Unavailable", "string"), col("Allowed Disruptions", "integer"), ageColumn},
		cells: func(o types.Object, now time.Time) []any {
			p := o.(*types.PodDisruptionBudget)
			minA, maxU := "N/A", "N/A"
			if p.Spec.MinAvailable != nil {
				minA = p.Spec.MinAvailable.String()
			}
			if p.Spec.MaxUnavailable != nil {
				maxU = p.Spec.MaxUnavailable.String()
			}
			return []any{minA, maxU, p.Status.DisruptionsAllowed, age(&p.ObjectMeta, now)}
		},
	},
	"Lease": {
		columns: []column{col("Holder", "string"), ageColumn},
		cells: func(o types.Object, now time.Time) []any {
			l := o.(*types.Lease)
			h := ""
			if l.Spec.HolderIdentity != nil {
				h = *l.Spec.HolderIdentity
			}
			return []any{h, age(&l.ObjectMeta, now)}
		},
	},
}

func accessModes(modes []types.PersistentVolumeAccessMode) string {
	var out []string
	for _, m := range modes {
		switch m {
		case "ReadWriteOnce":
			out = append(out, "RWO")
		case "ReadOnlyMany":
			out = append(out, "ROX")
		case "ReadWriteMany":
			out = append(out, "RWX")
		case "ReadWriteOncePod":
			out = append(out, "RWOP")
		default:
			out = append(out, string(m))
		}
	}
	return strings.Join(out, ",")
}

// defaultPrinter is Kubernetes' default for kinds without their own
// columns: NAME and CREATED AT... here NAME and AGE, as kubectl prints
// client-side.
var defaultPrinter = printer{
	columns: []column{ageColumn},
	cells:   func(o types.Object, now time.Time) []any { return []any{age(o.GetObjectMeta(), now)} },
}

func printerFor(kind string) printer {
	if p, ok := printers[kind]; ok {
		return p
	}
	return defaultPrinter
}

// tableColumns returns the column definitions of kind.
func tableColumns(kind string) []TableColumn {
	p := printerFor(kind)
	out := []TableColumn{{Name: nameColumn.name, Type: nameColumn.typ, Format: nameColumn.format, Description: nameColumn.desc}}
	for _, c := range p.columns {
		out = append(out, TableColumn{Name: c.name, Type: c.typ, Format: c.format, Description: c.desc, Priority: c.priority})
	}
	return out
}

// includeObject is the includeObject query parameter: None, Metadata
// (the default) or Object.
type includeObject string

// tableRow builds the row of obj (with its TypeMeta set).
func (s *Server) tableRow(obj types.Object, inc includeObject, now time.Time) (TableRow, error) {
	p := printerFor(obj.GetKind())
	m := obj.GetObjectMeta()
	row := TableRow{Cells: append([]any{m.Name}, p.cells(obj, now)...)}
	switch inc {
	case "None":
	case "Object":
		s.scheme.SetTypeMeta(obj)
		b, err := json.Marshal(obj)
		if err != nil {
			return row, err
		}
		row.Object = b
	default:
		b, err := json.Marshal(struct {
			Kind       string            `json:"kind"`
			APIVersion string            `json:"apiVersion"`
			Metadata   *types.ObjectMeta `json:"metadata"`
		}{"PartialObjectMetadata", "meta.k8s.io/v1", m})
		if err != nil {
			return row, err
		}
		row.Object = b
	}
	return row, nil
}

// table builds a Table of objs.
func (s *Server) table(kind string, objs []types.Object, meta ListMeta, inc includeObject) (*Table, error) {
	now := s.cfg.Clock.Now()
	t := &Table{Kind: "Table", APIVersion: "meta.k8s.io/v1", Metadata: meta, ColumnDefinitions: tableColumns(kind), Rows: []TableRow{}}
	for _, o := range objs {
		row, err := s.tableRow(o, inc, now)
		if err != nil {
			return nil, err
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func includeParam(v string) (includeObject, *Status) {
	switch v {
	case "", "Metadata":
		return "Metadata", nil
	case "None", "Object":
		return includeObject(v), nil
	}
	return "", badRequest("includeObject %q is not one of None, Metadata, Object", v)
}
