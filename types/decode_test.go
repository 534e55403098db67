package types

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // substrings of the message, in order
		errorIs error
	}{
		{
			name: "unknown field deep in a template",
			in: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        imagee: nginx
`,
			want:    []string{`document 1 (Deployment "web"): line 14: spec.template.spec.containers[0].imagee: unknown field "imagee"`},
			errorIs: ErrUnknownField,
		},
		{
			name: "type mismatch",
			in: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: three
`,
			want:    []string{`line 5: spec.replicas: expected integer, got string "three"`},
			errorIs: ErrTypeMismatch,
		},
		{
			name:    "number for a string field",
			in:      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    version: 2\n",
			want:    []string{`metadata.labels[version]: expected string, got integer 2`},
			errorIs: ErrTypeMismatch,
		},
		{
			name:    "lowercase kind",
			in:      "apiVersion: v1\nkind: pod\nmetadata: {name: p}\n",
			want:    []string{`no kind "pod" is registered for version "v1"`, `did you mean "Pod"`},
			errorIs: ErrUnknownKind,
		},
		{
			name:    "wrong apiVersion",
			in:      "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: d}\n",
			want:    []string{`apiVersion: kind Deployment is not served in apiVersion "extensions/v1beta1"; use apps/v1`},
			errorIs: ErrWrongVersion,
		},
		{
			name:    "missing kind",
			in:      "apiVersion: v1\nmetadata: {name: p}\n",
			want:    []string{`Object 'Kind' is missing`},
			errorIs: ErrUnknownKind,
		},
		{
			name:    "second document is named",
			in:      "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\nspec: {bogus: 1}\n",
			want:    []string{`document 2 (Namespace "b"): line 8: spec.bogus: unknown field "bogus"`},
			errorIs: ErrUnknownField,
		},
		{
			name:    "duplicate field",
			in:      "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\nmetadata: {name: b}\n",
			want:    []string{`metadata: duplicate field "metadata"`},
			errorIs: ErrDuplicateField,
		},
		{
			name:    "bad quantity",
			in:      "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec:\n  hard:\n    cpu: lots\n",
			want:    []string{`spec.hard[cpu]: invalid value string "lots"`},
			errorIs: ErrInvalidValue,
		},
		{
			name:    "bad base64",
			in:      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  k: '!!!'\n",
			want:    []string{`data[k]: illegal base64 data`},
			errorIs: ErrInvalidValue,
		},
		{
			name:    "yaml syntax",
			in:      "apiVersion: v1\nkind: Pod\nmetadata:\n  .....\n  annotations: {}\n",
			want:    []string{`document 1: line 5: mapping values are not allowed`},
			errorIs: ErrSyntax,
		},
		{
			name:    "json unknown field with line",
			in:      "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"p\"},\n  \"spec\": {\n    \"containerz\": []\n  }\n}\n",
			want:    []string{`document 1 (Pod "p"): line 6: spec.containerz: unknown field "containerz"`},
			errorIs: ErrUnknownField,
		},
		{
			name:    "json syntax",
			in:      "{\"apiVersion\": \"v1\",\n \"kind\": }",
			want:    []string{`document 1: line 2: invalid character '}'`},
			errorIs: ErrSyntax,
		},
		{
			name:    "list item",
			in:      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec: {nodeNam: x}\n",
			want:    []string{`items[0].spec.nodeNam: unknown field "nodeNam"`},
			errorIs: ErrUnknownField,
		},
		{
			name:    "int32 overflow",
			in:      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 3000000000}\n",
			want:    []string{`spec.replicas: integer 3000000000 out of range for int32`},
			errorIs: ErrInvalidValue,
		},
		{
			name:    "not an object",
			in:      "- a\n- b\n",
			want:    []string{`expected an object`},
			errorIs: ErrTypeMismatch,
		},
		{
			name: "init containers annotation with a bad field",
			in: `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    pod.beta.kubernetes.io/init-containers: '[{"name": "i", "imag": "busybox"}]'
spec:
  containers: [{name: c, image: nginx}]
`,
			want:    []string{`metadata.annotations[pod.beta.kubernetes.io/init-containers][0].imag: unknown field "imag"`},
			errorIs: ErrUnknownField,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("no error; decoded %d objects", len(objs))
			}
			if objs != nil {
				t.Errorf("objects returned with an error")
			}
			msg := err.Error()
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q\ndoes not contain %q", msg, w)
				}
				rest = rest[i+len(w):]
			}
			if !errors.Is(err, tt.errorIs) {
				t.Errorf("errors.Is(%v) is false for %q", tt.errorIs, msg)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("errors.As(*DecodeError) is false")
			}
		})
	}
}

func TestDecodeReportsEveryProblem(t *testing.T) {
	in := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labelz: {}}\nspec: {nodeNam: x, restartPolicy: 3}\n"
	_, err := Decode([]byte(in))
	var es DecodeErrors
	if !errors.As(err, &es) {
		t.Fatalf("not DecodeErrors: %v", err)
	}
	if len(es) != 3 {
		t.Fatalf("got %d problems, want 3: %v", len(es), err)
	}
}

func TestDecodeDocuments(t *testing.T) {
	in := `# leading comment
---
apiVersion: v1
kind: Namespace
metadata:
  name: a
---
---
# only a comment
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: c, namespace: a}
  data: {k: v}
- apiVersion: coordination.k8s.io/v1
  kind: Lease
  metadata: {name: l}
  spec:
    holderIdentity: me
    renewTime: "2024-01-02T03:04:05.123456Z"
`
	objs, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind())
	}
	if got := strings.Join(kinds, ","); got != "Namespace,ConfigMap,Lease" {
		t.Fatalf("kinds = %s", got)
	}
	l := objs[2].(*Lease)
	if got := l.Spec.RenewTime.Nanosecond(); got != 123456000 {
		t.Errorf("renewTime ns = %d", got)
	}
	if objs[1].(*ConfigMap).Data["k"] != "v" {
		t.Errorf("data not decoded")
	}
}

func TestDecodeJSONStream(t *testing.T) {
	in := `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}
{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"aGVsbG8="},"stringData":{"x":"y"}}`
	objs, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 {
		t.Fatalf("got %d objects", len(objs))
	}
	s := objs[1].(*Secret)
	if string(s.Data["k"]) != "hello" {
		t.Errorf("data = %q", s.Data["k"])
	}
	Default(s)
	if string(s.Data["x"]) != "y" || s.StringData != nil || s.Type != SecretTypeOpaque {
		t.Errorf("stringData not merged: %+v", s)
	}
}

func TestDecodeYAMLScalars(t *testing.T) {
	in := `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostNetwork: yes
  containers:
  - name: c
    image: nginx
    tty: on
    env:
    - {name: A, value: "on"}
    - {name: B, value: yes}
    ports:
    - containerPort: 0x50
  volumes:
  - name: s
    secret: {secretName: s, defaultMode: 0644}
`
	objs, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	p := objs[0].(*Pod)
	c := p.Spec.Containers[0]
	switch {
	case !p.Spec.HostNetwork, !c.TTY:
		t.Error("yes/on not read as true for booleans")
	case c.Env[0].Value != "on", c.Env[1].Value != "yes":
		t.Errorf("yes/on not kept as strings: %+v", c.Env)
	case *p.Spec.Volumes[0].Secret.DefaultMode != 0o644:
		t.Errorf("0644 = %d, want octal 420", *p.Spec.Volumes[0].Secret.DefaultMode)
	case c.Ports[0].ContainerPort != 80:
		t.Errorf("0x50 = %d", c.Ports[0].ContainerPort)
	}
}

func TestDecodeYAMLAliases(t *testing.T) {
	in := `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  labels: &l {app: web}
  annotations: *l
`
	objs, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if objs[0].GetObjectMeta().Annotations["app"] != "web" {
		t.Fatal("alias not followed")
	}
}

func TestDecodeBillionLaughs(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nx0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("x" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	if _, err := Decode([]byte(b.String())); err == nil {
		t.Fatal("no error")
	}
}

func TestHPAV1(t *testing.T) {
	in := `apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: h, namespace: default}
spec:
  scaleTargetRef: {kind: Deployment, name: d, apiVersion: apps/v1}
  minReplicas: 2
  maxReplicas: 5
  targetCPUUtilizationPercentage: 70
`
	objs, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	h := objs[0].(*HorizontalPodAutoscaler)
	if h.APIVersion != "autoscaling/v1" {
		t.Errorf("apiVersion = %q", h.APIVersion)
	}
	m := h.Spec.Metrics
	if len(m) != 1 || m[0].Resource == nil || *m[0].Resource.Target.AverageUtilization != 70 || m[0].Resource.Name != ResourceCPU {
		t.Fatalf("metrics = %+v", m)
	}
	// Back to v1, and through JSON to the same object.
	out, err := EncodeJSON(h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"targetCPUUtilizationPercentage":70`) {
		t.Errorf("v1 encoding = %s", out)
	}
	again, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again[0], h) {
		t.Errorf("round trip differs:\n%+v\n%+v", again[0], h)
	}
	// Something v1 cannot say: encoded as v2.
	h.Spec.Metrics = append(h.Spec.Metrics, MetricSpec{Type: ResourceMetricSourceType, Resource: &ResourceMetricSource{Name: ResourceMemory, Target: MetricTarget{Type: AverageValueMetricType, AverageValue: ptr(MustParseQuantity("1Gi"))}}})
	out, err = EncodeJSON(h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"apiVersion":"autoscaling/v2"`) || !strings.Contains(string(out), `"metrics"`) {
		t.Errorf("v2 encoding = %s", out)
	}
}

func TestInitContainersAnnotation(t *testing.T) {
	// The seed's first form (types/testdata/seeds/pod-init-containers-annotation.yaml)
	// with its placeholders filled in: the kind capitalised, a name in
	// place of ".....", a command in place of [......].
	in := `apiVersion: v1
kind: Pod
metadata:
  name: mydb
  annotations:
    other: kept
    pod.beta.kubernetes.io/init-containers: '[
      {
        "name": "init-mydb",
        "image": "busybox",
        "command": ["sh", "-c", "true"]
      }
    ]'
spec:
  containers:
  - name: mydb
    image: mysql
`
	objs, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	p := objs[0].(*Pod)
	if len(p.Spec.InitContainers) != 1 || p.Spec.InitContainers[0].Name != "init-mydb" || p.Spec.InitContainers[0].Image != "busybox" {
		t.Fatalf("initContainers = %+v", p.Spec.InitContainers)
	}
	if _, ok := p.Annotations["pod.beta.kubernetes.io/init-containers"]; ok || p.Annotations["other"] != "kept" {
		t.Fatalf("annotations = %v", p.Annotations)
	}
	Default(p)
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
	// The GA field wins over the annotation.
	in2 := strings.Replace(in, "    image: mysql\n", "    image: mysql\n  initContainers: [{name: ga, image: busybox}]\n", 1)
	objs, err = Decode([]byte(in2))
	if err != nil {
		t.Fatal(err)
	}
	if ic := objs[0].(*Pod).Spec.InitContainers; len(ic) != 1 || ic[0].Name != "ga" {
		t.Fatalf("GA field lost: %+v", ic)
	}
}

func TestInitContainersAnnotationOnTemplate(t *testing.T) {
	in := `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata:
      labels: {app: d}
      annotations:
        pod.beta.kubernetes.io/init-containers: '[{"name": "i", "image": "busybox"}]'
        pod.beta.kubernetes.io/hostname: h
    spec:
      containers: [{name: c, image: nginx}]
`
	objs, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	d := objs[0].(*Deployment)
	if len(d.Spec.Template.Spec.InitContainers) != 1 || d.Spec.Template.Spec.Hostname != "h" || d.Spec.Template.Annotations != nil {
		t.Fatalf("template = %+v", d.Spec.Template)
	}
}

// TestEncodeRoundTrip encodes every kind filled with values to YAML and
// JSON and decodes it back to an equal object.
func TestEncodeRoundTrip(t *testing.T) {
	for _, k := range NewScheme().Kinds() {
		t.Run(k.Kind, func(t *testing.T) {
			obj := k.New()
			fill(reflect.ValueOf(obj).Elem(), 0, 0)
			NewScheme().SetTypeMeta(obj)
			if h, ok := obj.(*HorizontalPodAutoscaler); ok {
				h.APIVersion = "autoscaling/v2"
			}
			if s, ok := obj.(*Secret); ok {
				s.StringData = nil // write-only: merged into data by Default
			}
			for _, enc := range []func(Object) ([]byte, error){EncodeJSON, EncodeYAML} {
				b, err := enc(obj)
				if err != nil {
					t.Fatal(err)
				}
				objs, err := Decode(b)
				if err != nil {
					t.Fatalf("%v\n%s", err, b)
				}
				if !reflect.DeepEqual(objs[0], obj) {
					t.Fatalf("round trip differs:\n%s", b)
				}
			}
		})
	}
}

func TestEncodeSetsTypeMeta(t *testing.T) {
	p := &Pod{ObjectMeta: ObjectMeta{Name: "p"}}
	b, err := EncodeYAML(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
	if p.APIVersion != "" {
		t.Fatal("EncodeYAML changed its argument")
	}
	b, err = EncodeYAMLDocuments(p, &Namespace{ObjectMeta: ObjectMeta{Name: "n"}})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode(b)
	if err != nil || len(objs) != 2 {
		t.Fatalf("documents: %v %d", err, len(objs))
	}
}

func TestConvertAnnotations(t *testing.T) {
	p := &Pod{ObjectMeta: ObjectMeta{Name: "p", Annotations: map[string]string{
		"pod.beta.kubernetes.io/init-containers": `[{"name":"i","image":"busybox"}]`,
	}}}
	if err := ConvertAnnotations(p); err != nil {
		t.Fatal(err)
	}
	if len(p.Spec.InitContainers) != 1 || p.Annotations != nil {
		t.Fatalf("not converted: %+v", p)
	}
	p.Annotations = map[string]string{"pod.beta.kubernetes.io/init-containers": `[{"name":1}]`}
	p.Spec.InitContainers = nil
	err := ConvertAnnotations(p)
	if err == nil || !strings.Contains(err.Error(), `metadata.annotations[pod.beta.kubernetes.io/init-containers][0].name: expected string, got integer 1`) {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodeMergeKeysAndTimestamps(t *testing.T) {
	in := `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  labels: &base {app: web, tier: front}
  annotations:
    <<: *base
    tier: back
    built: 2024-05-01
data:
  <<: [{a: "1"}, {a: "2", b: "3"}]
`
	objs, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	c := objs[0].(*ConfigMap)
	want := map[string]string{"app": "web", "tier": "back", "built": "2024-05-01"}
	if !reflect.DeepEqual(c.Annotations, want) {
		t.Errorf("annotations = %v", c.Annotations)
	}
	if !reflect.DeepEqual(c.Data, map[string]string{"a": "1", "b": "3"}) {
		t.Errorf("data = %v", c.Data)
	}
}

func TestDecodeUnquotedTimestamp(t *testing.T) {
	objs, err := Decode([]byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  creationTimestamp: 2024-05-01T10:00:00Z\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := objs[0].GetObjectMeta().CreationTimestamp.Format("2006-01-02T15:04:05Z"); got != "2024-05-01T10:00:00Z" {
		t.Fatalf("creationTimestamp = %s", got)
	}
}

func TestDecodeTypedList(t *testing.T) {
	in := `{"apiVersion":"v1","kind":"PodList","metadata":{"resourceVersion":"7"},"items":[
{"metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"nginx"}]}},
{"metadata":{"name":"b"}}]}`
	objs, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].GetKind() != "Pod" || objs[1].GetObjectMeta().Name != "b" {
		t.Fatalf("objs = %v", objs)
	}
	if objs[0].(*Pod).APIVersion != "v1" {
		t.Errorf("apiVersion not set")
	}
	_, err = Decode([]byte(`{"apiVersion":"apps/v1","kind":"PodList","items":[]}`))
	if !errors.Is(err, ErrUnknownKind) {
		t.Errorf("PodList in apps/v1: %v", err)
	}
}
