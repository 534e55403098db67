package types

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/coxswain/coxswain/types"
)

// The realistic manifests of types' own benchmarks.
func manifest(b *testing.B, name string) []byte {
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkDeepCopyPod(b *testing.B) {
	data := manifest(b, "pod.yaml")
	objs, err := types.Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	ours := objs[0]
	var theirs corev1.Pod
	if err := yaml.UnmarshalStrict(data, &theirs); err != nil {
		b.Fatal(err)
	}
	b.Run("coxswain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ours.DeepCopyObject()
		}
	})
	b.Run("k8s.io/api", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = theirs.DeepCopyObject()
		}
	})
}

func BenchmarkDeepCopyDeployment(b *testing.B) {
	data := manifest(b, "deployment.yaml")
	objs, err := types.Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	ours := objs[0]
	var theirs appsv1.Deployment
	if err := yaml.UnmarshalStrict(data, &theirs); err != nil {
		b.Fatal(err)
	}
	b.Run("coxswain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ours.DeepCopyObject()
		}
	})
	b.Run("k8s.io/api", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = theirs.DeepCopyObject()
		}
	})
}

// BenchmarkDecodeYAML: our strict YAML decoder against sigs.k8s.io/yaml's
// strict YAML→JSON→struct path into k8s.io/api types.
func BenchmarkDecodeYAML(b *testing.B) {
	for _, m := range []struct {
		file string
		new  func() any
	}{{"pod.yaml", func() any { return &corev1.Pod{} }}, {"deployment.yaml", func() any { return &appsv1.Deployment{} }}} {
		data := manifest(b, m.file)
		b.Run(m.file+"/coxswain", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := types.Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(m.file+"/sigs.k8s.io-yaml", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := yaml.UnmarshalStrict(data, m.new()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeJSON: our strict decoder on JSON against encoding/json
// into k8s.io/api types (not strict).
func BenchmarkDecodeJSON(b *testing.B) {
	data, err := yaml.YAMLToJSON(manifest(b, "pod.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("coxswain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := types.Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("k8s.io/api+encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p corev1.Pod
			if err := json.Unmarshal(data, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSideBySide runs our operation and Kubernetes' alternately in each
// iteration and reports both times and k8s÷ours, so load on a shared
// machine hits both alike.
func BenchmarkSideBySide(b *testing.B) {
	pod, dep := manifest(b, "pod.yaml"), manifest(b, "deployment.yaml")
	podJSON, err := yaml.YAMLToJSON(pod)
	if err != nil {
		b.Fatal(err)
	}
	decode := func(data []byte) types.Object {
		objs, err := types.Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		return objs[0]
	}
	ourPod, ourDep := decode(pod), decode(dep)
	var k8sPod corev1.Pod
	var k8sDep appsv1.Deployment
	if err := yaml.UnmarshalStrict(pod, &k8sPod); err != nil {
		b.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(dep, &k8sDep); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name      string
		ours, k8s func()
	}{
		{"DeepCopy/Pod", func() { _ = ourPod.DeepCopyObject() }, func() { _ = k8sPod.DeepCopyObject() }},
		{"DeepCopy/Deployment", func() { _ = ourDep.DeepCopyObject() }, func() { _ = k8sDep.DeepCopyObject() }},
		{"DecodeYAMLStrict/Pod", func() { decode(pod) }, func() {
			var p corev1.Pod
			if err := yaml.UnmarshalStrict(pod, &p); err != nil {
				b.Fatal(err)
			}
		}},
		{"DecodeYAMLStrict/Deployment", func() { decode(dep) }, func() {
			var d appsv1.Deployment
			if err := yaml.UnmarshalStrict(dep, &d); err != nil {
				b.Fatal(err)
			}
		}},
		{"DecodeJSON/Pod", func() { decode(podJSON) }, func() {
			var p corev1.Pod
			if err := json.Unmarshal(podJSON, &p); err != nil {
				b.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var ours, theirs time.Duration
			for b.Loop() {
				t0 := time.Now()
				c.ours()
				t1 := time.Now()
				c.k8s()
				theirs += time.Since(t1)
				ours += t1.Sub(t0)
			}
			b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "coxswain-ns/op")
			b.ReportMetric(float64(theirs.Nanoseconds())/float64(b.N), "k8s-ns/op")
			b.ReportMetric(float64(theirs)/float64(ours), "k8s/coxswain")
		})
	}
}
