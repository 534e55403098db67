package types

import (
	"encoding/json"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// AnnotationConversion turns a beta field carried in an annotation into its
// GA field, as Kubernetes did when init containers left
// pod.beta.kubernetes.io/init-containers for spec.initContainers. Decode
// runs every conversion registered in the Scheme on each object it decodes
// and removes the annotation. The built-in table covers the init-container
// annotations (alpha and beta), pod.beta.kubernetes.io/hostname and
// pod.beta.kubernetes.io/subdomain, on pods and on the pod templates of
// workloads.
type AnnotationConversion struct {
	// Annotation is the annotation key.
	Annotation string
	// Apply sets the GA field of the pod template (spec and metadata) from
	// the annotation's value. It is not called when the field is already set,
	// as the GA field wins. decode decodes JSON strictly into a Go value,
	// reporting problems with field paths.
	Apply func(spec *PodSpec, value string, decode func(value string, into any) bool)
	// IsSet reports whether spec already has the GA field.
	IsSet func(spec *PodSpec) bool
}

// RegisterAnnotationConversion adds c to the conversions Decode applies.
func (s *Scheme) RegisterAnnotationConversion(c AnnotationConversion) {
	s.convs = append(s.convs, c)
}

func builtinAnnotationConversions() []AnnotationConversion {
	initContainers := AnnotationConversion{
		Apply: func(spec *PodSpec, v string, decode func(string, any) bool) {
			var cs []Container
			if decode(v, &cs) {
				spec.InitContainers = cs
			}
		},
		IsSet: func(spec *PodSpec) bool { return len(spec.InitContainers) > 0 },
	}
	alpha, beta := initContainers, initContainers
	alpha.Annotation = "pod.alpha.kubernetes.io/init-containers"
	beta.Annotation = "pod.beta.kubernetes.io/init-containers"
	return []AnnotationConversion{
		alpha, beta,
		{
			Annotation: "pod.beta.kubernetes.io/hostname",
			Apply:      func(spec *PodSpec, v string, _ func(string, any) bool) { spec.Hostname = v },
			IsSet:      func(spec *PodSpec) bool { return spec.Hostname != "" },
		},
		{
			Annotation: "pod.beta.kubernetes.io/subdomain",
			Apply:      func(spec *PodSpec, v string, _ func(string, any) bool) { spec.Subdomain = v },
			IsSet:      func(spec *PodSpec) bool { return spec.Subdomain != "" },
		},
	}
}

// podTemplates returns the pod metadata and spec pairs of obj with their
// field paths: the pod itself, or a workload's template.
func podTemplates(obj Object) (metas []*ObjectMeta, specs []*PodSpec, paths []string) {
	switch o := obj.(type) {
	case *Pod:
		return []*ObjectMeta{&o.ObjectMeta}, []*PodSpec{&o.Spec}, []string{""}
	case *ReplicationController:
		if o.Spec.Template != nil {
			return []*ObjectMeta{&o.Spec.Template.ObjectMeta}, []*PodSpec{&o.Spec.Template.Spec}, []string{"spec.template."}
		}
	case *ReplicaSet:
		return []*ObjectMeta{&o.Spec.Template.ObjectMeta}, []*PodSpec{&o.Spec.Template.Spec}, []string{"spec.template."}
	case *Deployment:
		return []*ObjectMeta{&o.Spec.Template.ObjectMeta}, []*PodSpec{&o.Spec.Template.Spec}, []string{"spec.template."}
	case *StatefulSet:
		return []*ObjectMeta{&o.Spec.Template.ObjectMeta}, []*PodSpec{&o.Spec.Template.Spec}, []string{"spec.template."}
	case *DaemonSet:
		return []*ObjectMeta{&o.Spec.Template.ObjectMeta}, []*PodSpec{&o.Spec.Template.Spec}, []string{"spec.template."}
	case *Job:
		return []*ObjectMeta{&o.Spec.Template.ObjectMeta}, []*PodSpec{&o.Spec.Template.Spec}, []string{"spec.template."}
	case *CronJob:
		t := &o.Spec.JobTemplate.Spec.Template
		return []*ObjectMeta{&t.ObjectMeta}, []*PodSpec{&t.Spec}, []string{"spec.jobTemplate.spec.template."}
	}
	return nil, nil, nil
}

// convertAnnotations applies s's annotation conversions to obj, reporting
// problems through d.
func (s *Scheme) convertAnnotations(obj Object, d *decoder) DecodeErrors {
	metas, specs, paths := podTemplates(obj)
	for i, m := range metas {
		for _, c := range s.convs {
			v, ok := m.Annotations[c.Annotation]
			if !ok {
				continue
			}
			path := paths[i] + "metadata.annotations[" + c.Annotation + "]"
			if !c.IsSet(specs[i]) {
				c.Apply(specs[i], v, func(value string, into any) bool {
					return d.decodeJSONString(value, into, path)
				})
			}
			delete(m.Annotations, c.Annotation)
			if len(m.Annotations) == 0 {
				m.Annotations = nil
			}
		}
	}
	return d.errs
}

// decodeJSONString decodes a JSON document held in a string strictly into
// into (a pointer), reporting problems under path.
func (d *decoder) decodeJSONString(value string, into any, path string) bool {
	before := len(d.errs)
	docs, err := jsonDocuments([]byte(value))
	switch {
	case err != nil:
		d.errs = append(d.errs, &DecodeError{Doc: d.doc, Kind: d.kind, Name: d.name, Field: joinPath(d.prefix, path), Msg: "invalid JSON: " + err.Msg, Err: ErrSyntax})
		return false
	case len(docs) != 1:
		d.errs = append(d.errs, &DecodeError{Doc: d.doc, Kind: d.kind, Name: d.name, Field: joinPath(d.prefix, path), Msg: "expected one JSON value", Err: ErrSyntax})
		return false
	}
	plainLines(docs[0])
	d.stack = append(d.stack, pathElem{name: path})
	d.value(docs[0], reflect.ValueOf(into).Elem())
	d.stack = d.stack[:len(d.stack)-1]
	return len(d.errs) == before
}

// plainLines drops line numbers, which would count within the annotation
// rather than the file.
func plainLines(n *yaml.Node) {
	n.Line = 0
	for _, c := range n.Content {
		plainLines(c)
	}
}

// versionConversion decodes a kind written in an older apiVersion into a
// Go type of that shape, then converts it.
type versionConversion struct {
	new     func() any
	convert func(any) Object
}

func versionConversions() map[string]versionConversion {
	return map[string]versionConversion{
		"autoscaling/v1/HorizontalPodAutoscaler": {
			new:     func() any { return &hpaV1{} },
			convert: func(x any) Object { return x.(*hpaV1).toV2() },
		},
	}
}

// hpaV1 is the autoscaling/v1 shape of HorizontalPodAutoscaler.
type hpaV1 struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta `json:"metadata,omitzero"`
	Spec     struct {
		ScaleTargetRef                 CrossVersionObjectReference `json:"scaleTargetRef"`
		MinReplicas                    *int32                      `json:"minReplicas,omitempty"`
		MaxReplicas                    int32                       `json:"maxReplicas"`
		TargetCPUUtilizationPercentage *int32                      `json:"targetCPUUtilizationPercentage,omitempty"`
	} `json:"spec,omitzero"`
	Status struct {
		ObservedGeneration              *int64 `json:"observedGeneration,omitempty"`
		LastScaleTime                   *Time  `json:"lastScaleTime,omitempty"`
		CurrentReplicas                 int32  `json:"currentReplicas"`
		DesiredReplicas                 int32  `json:"desiredReplicas"`
		CurrentCPUUtilizationPercentage *int32 `json:"currentCPUUtilizationPercentage,omitempty"`
	} `json:"status,omitzero"`
}

func (h *hpaV1) toV2() *HorizontalPodAutoscaler {
	out := &HorizontalPodAutoscaler{TypeMeta: h.TypeMeta, ObjectMeta: h.Metadata}
	out.Spec.ScaleTargetRef = h.Spec.ScaleTargetRef
	out.Spec.MinReplicas = h.Spec.MinReplicas
	out.Spec.MaxReplicas = h.Spec.MaxReplicas
	if p := h.Spec.TargetCPUUtilizationPercentage; p != nil {
		v := *p
		out.Spec.Metrics = []MetricSpec{{
			Type:     ResourceMetricSourceType,
			Resource: &ResourceMetricSource{Name: ResourceCPU, Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: &v}},
		}}
	}
	out.Status.ObservedGeneration = h.Status.ObservedGeneration
	out.Status.LastScaleTime = h.Status.LastScaleTime
	out.Status.CurrentReplicas = h.Status.CurrentReplicas
	out.Status.DesiredReplicas = h.Status.DesiredReplicas
	if p := h.Status.CurrentCPUUtilizationPercentage; p != nil {
		v := *p
		out.Status.CurrentMetrics = []MetricStatus{{
			Type:     ResourceMetricSourceType,
			Resource: &ResourceMetricStatus{Name: ResourceCPU, Current: MetricValueStatus{AverageUtilization: &v}},
		}}
	}
	return out
}

// v1 returns h in the autoscaling/v1 shape, or false when h has something
// v1 cannot say (metrics other than one cpu utilization target, behavior,
// conditions).
func (h *HorizontalPodAutoscaler) v1() (*hpaV1, bool) {
	out := &hpaV1{TypeMeta: h.TypeMeta, Metadata: h.ObjectMeta}
	out.Spec.ScaleTargetRef = h.Spec.ScaleTargetRef
	out.Spec.MinReplicas = h.Spec.MinReplicas
	out.Spec.MaxReplicas = h.Spec.MaxReplicas
	if h.Spec.Behavior != nil || len(h.Spec.Metrics) > 1 || len(h.Status.Conditions) > 0 || len(h.Status.CurrentMetrics) > 1 {
		return nil, false
	}
	if len(h.Spec.Metrics) == 1 {
		m := h.Spec.Metrics[0]
		if m.Type != ResourceMetricSourceType || m.Resource == nil || m.Resource.Name != ResourceCPU ||
			m.Resource.Target.Type != UtilizationMetricType || m.Resource.Target.AverageUtilization == nil {
			return nil, false
		}
		v := *m.Resource.Target.AverageUtilization
		out.Spec.TargetCPUUtilizationPercentage = &v
	}
	out.Status.ObservedGeneration = h.Status.ObservedGeneration
	out.Status.LastScaleTime = h.Status.LastScaleTime
	out.Status.CurrentReplicas = h.Status.CurrentReplicas
	out.Status.DesiredReplicas = h.Status.DesiredReplicas
	if len(h.Status.CurrentMetrics) == 1 {
		m := h.Status.CurrentMetrics[0]
		if m.Type != ResourceMetricSourceType || m.Resource == nil || m.Resource.Name != ResourceCPU || m.Resource.Current.AverageUtilization == nil {
			return nil, false
		}
		v := *m.Resource.Current.AverageUtilization
		out.Status.CurrentCPUUtilizationPercentage = &v
	}
	return out, true
}

// hpaV2 has HorizontalPodAutoscaler's fields without its JSON methods.
type hpaV2 HorizontalPodAutoscaler

// MarshalJSON writes the autoscaling/v1 shape when APIVersion is
// autoscaling/v1 and v1 can say everything h holds, else the v2 shape (with
// apiVersion autoscaling/v2 if it was v1).
func (h HorizontalPodAutoscaler) MarshalJSON() ([]byte, error) {
	if h.APIVersion == "autoscaling/v1" {
		if v1, ok := h.v1(); ok {
			return json.Marshal(v1)
		}
		h.APIVersion = "autoscaling/v2"
	}
	return json.Marshal(hpaV2(h))
}

// UnmarshalJSON reads either shape, converting autoscaling/v1 to v2.
func (h *HorizontalPodAutoscaler) UnmarshalJSON(b []byte) error {
	var tm TypeMeta
	if err := json.Unmarshal(b, &tm); err != nil {
		return err
	}
	if strings.TrimSpace(tm.APIVersion) == "autoscaling/v1" {
		var v1 hpaV1
		if err := json.Unmarshal(b, &v1); err != nil {
			return err
		}
		*h = *v1.toV2()
		return nil
	}
	return json.Unmarshal(b, (*hpaV2)(h))
}

// ConvertAnnotations applies s's annotation conversions to obj in place, as
// Decode does, for objects decoded some other way (json.Unmarshal). It
// returns DecodeErrors when an annotation's JSON does not decode.
func (s *Scheme) ConvertAnnotations(obj Object) error {
	d := &decoder{doc: 1, kind: obj.GetKind(), name: obj.GetObjectMeta().Name}
	if errs := s.convertAnnotations(obj, d); len(errs) > 0 {
		return errs
	}
	return nil
}

// ConvertAnnotations is Scheme.ConvertAnnotations with the built-in table.
func ConvertAnnotations(obj Object) error { return builtin().ConvertAnnotations(obj) }
