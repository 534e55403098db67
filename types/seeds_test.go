package types

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files in testdata/seeds are byte-for-byte line ranges of
// /work/shared/seeds/000_dcc6a6f610cdc9dc.txt (a Kubernetes study guide), so
// the examples it teaches with are checked as written. Lines taken:
//
//	pod-resources-fragment.yaml        150–160  ("spec:" fragment; the "例：" line 149 left out)
//	pod-web-1.yaml                     192–197  (the "# pod" half of the Label example)
//	rc-web-2.yaml                      200–207  (the "# 管理对象" half; the "....." line 208 left out)
//	hpa-php-apache.yaml                282–293
//	service-name-invalid.yaml          331–342
//	service-ports-fragment.yaml        348–354  ("ports:" fragment)
//	service-tomcat-nodeport.yaml       367–377
//	namespace-name.yaml                451–454
//	pod-init-containers-annotation.yaml 488–500 (the "方法1" form, placeholders and all)
//	pod-init-containers-ga.yaml        503–512  (the "方法2" form)
func TestSeeds(t *testing.T) {
	tests := []struct {
		file string
		// decodeErr, if set, must be in the Decode error.
		decodeErr string
		// validateErrs must each be in the Validate error; none means valid.
		validateErrs []string
	}{
		{file: "hpa-php-apache.yaml"},
		{file: "namespace-name.yaml"},
		{file: "service-tomcat-nodeport.yaml", validateErrs: []string{
			"spec.ports[0].nodePort: Invalid value: 8888: provided port is not in the valid range. The range of valid ports is 30000-32767",
		}},
		{file: "service-name-invalid.yaml", validateErrs: []string{
			`metadata.name: Invalid value: "Service Name": a DNS-1035 label must consist of lower case alphanumeric characters`,
			`spec.type: Unsupported value: "LoadBalancer | ClusterIP | NodePort": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"`,
			`spec.selector[app]: Invalid value: "Selector Label"`,
		}},
		// A pod with labels and no spec is not a complete pod: Kubernetes
		// rejects it for want of containers, and so do we.
		{file: "pod-web-1.yaml", validateErrs: []string{"spec.containers: Required value"}},
		// Likewise the RC without its template (the seed elides it).
		{file: "rc-web-2.yaml", validateErrs: []string{"spec.template: Required value"}},
		// Fragments are not objects.
		{file: "pod-resources-fragment.yaml", decodeErr: "Object 'Kind' is missing"},
		{file: "service-ports-fragment.yaml", decodeErr: "Object 'Kind' is missing"},
		// "....." under metadata is not YAML.
		{file: "pod-init-containers-annotation.yaml", decodeErr: "document 1: line 5: mapping values are not allowed in this context"},
		// kind: pod is not a kind: Kubernetes kinds are case-sensitive.
		{file: "pod-init-containers-ga.yaml", decodeErr: `no kind "pod" is registered for version "v1" (kinds are case-sensitive: did you mean "Pod"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "seeds", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Decode(data)
			if tt.decodeErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.decodeErr) {
					t.Fatalf("Decode error = %v, want %q", err, tt.decodeErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != 1 {
				t.Fatalf("got %d objects", len(objs))
			}
			Default(objs[0])
			err = Validate(objs[0])
			if len(tt.validateErrs) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate: no error")
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) != len(tt.validateErrs) {
				t.Errorf("want %d problems, got %v", len(tt.validateErrs), err)
			}
			for _, w := range tt.validateErrs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

// TestSeedFragments completes the two fragments into objects, as the guide
// means them, and checks they decode and validate.
func TestSeedFragments(t *testing.T) {
	frag, err := os.ReadFile("testdata/seeds/pod-resources-fragment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n" + string(frag)
	objs, err := Decode([]byte(pod))
	if err != nil {
		t.Fatal(err)
	}
	p := objs[0].(*Pod)
	Default(p)
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
	if r := PodRequests(p); r.CPU().MilliValue() != 250 || r.Memory().Value() != 64<<20 {
		t.Errorf("requests = %v", r)
	}
	ports, err := os.ReadFile("testdata/seeds/service-ports-fragment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc := "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n" + indent(string(ports), "  ")
	objs, err = Decode([]byte(svc))
	if err != nil {
		t.Fatal(err)
	}
	Default(objs[0])
	// The guide gives both ports the same name, which Kubernetes rejects.
	err = Validate(objs[0])
	if err == nil || !strings.Contains(err.Error(), `spec.ports[1].name: Duplicate value: "name-of-the-port"`) {
		t.Fatalf("Validate = %v", err)
	}
}

func indent(s, pre string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pre + l
		}
	}
	return strings.Join(lines, "")
}

// TestSeedFixturesVerbatim checks each fixture is the stated line range of
// the seed text, byte for byte, when the seed is at hand.
func TestSeedFixturesVerbatim(t *testing.T) {
	seed, err := os.ReadFile("/work/shared/seeds/000_dcc6a6f610cdc9dc.txt")
	if err != nil {
		t.Skip("seed text not available")
	}
	lines := strings.SplitAfter(string(seed), "\n")
	ranges := map[string][2]int{
		"pod-resources-fragment.yaml":         {150, 160},
		"pod-web-1.yaml":                      {192, 197},
		"rc-web-2.yaml":                       {200, 207},
		"hpa-php-apache.yaml":                 {282, 293},
		"service-name-invalid.yaml":           {331, 342},
		"service-ports-fragment.yaml":         {348, 354},
		"service-tomcat-nodeport.yaml":        {367, 377},
		"namespace-name.yaml":                 {451, 454},
		"pod-init-containers-annotation.yaml": {488, 500},
		"pod-init-containers-ga.yaml":         {503, 512},
	}
	files, _ := filepath.Glob("testdata/seeds/*.yaml")
	if len(files) != len(ranges) {
		t.Errorf("%d fixtures, %d ranges", len(files), len(ranges))
	}
	for name, r := range ranges {
		got, err := os.ReadFile(filepath.Join("testdata", "seeds", name))
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.Join(lines[r[0]-1:r[1]], ""); string(got) != want {
			t.Errorf("%s is not lines %d–%d of the seed", name, r[0], r[1])
		}
	}
}
