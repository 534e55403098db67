package types

import (
	"fmt"
	"sort"
	"strings"
)

// KindInfo describes one kind: where it lives in the API, how it is named in
// URLs, and how to make an empty one.
type KindInfo struct {
	Kind         string   // "Deployment"
	Group        string   // "apps"; "" for the core group
	Version      string   // "v1"
	Resource     string   // plural, lower case: "deployments"
	ShortNames   []string // "deploy"
	Namespaced   bool     // false for cluster-scoped kinds such as Node
	Subresources []string // "status", "scale"
	// New returns a new, empty object of this kind.
	New func() Object
}

// APIVersion returns "group/version", or "version" for the core group.
func (k KindInfo) APIVersion() string {
	if k.Group == "" {
		return k.Version
	}
	return k.Group + "/" + k.Version
}

// Scheme maps kinds to their Go types and API names. The built-in kinds are
// in every Scheme from NewScheme; users add their own with Register.
//
// A Scheme is safe for concurrent reads; Register must not run concurrently
// with anything else, so register every kind before sharing the Scheme.
type Scheme struct {
	byKind     map[string]*KindInfo
	byResource map[string]*KindInfo // "group/resource"
	// aliases maps extra apiVersions a kind may be written in (autoscaling/v1
	// and autoscaling/v2 for HorizontalPodAutoscaler) to the kind.
	aliases map[string]string // "apiVersion/Kind" -> kind
	// convs are the annotation conversions Decode applies.
	convs []AnnotationConversion
}

// NewScheme returns a Scheme holding every built-in kind.
func NewScheme() *Scheme {
	s := &Scheme{
		byKind:     map[string]*KindInfo{},
		byResource: map[string]*KindInfo{},
		aliases:    map[string]string{},
	}
	for _, k := range builtinKinds() {
		if err := s.Register(k); err != nil {
			panic(err) // the built-in table is fixed; a clash is a bug here
		}
	}
	for _, a := range builtinAliases() {
		s.alias(a[0], a[1])
	}
	s.convs = builtinAnnotationConversions()
	return s
}

// Register adds a kind. It fails if the kind or its resource is taken, or if
// the description lacks a name, version, resource or constructor.
func (s *Scheme) Register(k KindInfo) error {
	switch {
	case k.Kind == "":
		return fmt.Errorf("types: register: kind is empty")
	case k.Version == "":
		return fmt.Errorf("types: register %s: version is empty", k.Kind)
	case k.Resource == "":
		return fmt.Errorf("types: register %s: resource is empty", k.Kind)
	case k.New == nil:
		return fmt.Errorf("types: register %s: New is nil", k.Kind)
	}
	if _, ok := s.byKind[k.Kind]; ok {
		return fmt.Errorf("types: register %s: kind already registered", k.Kind)
	}
	gr := k.Group + "/" + k.Resource
	if _, ok := s.byResource[gr]; ok {
		return fmt.Errorf("types: register %s: resource %q already registered", k.Kind, gr)
	}
	if got := k.New().GetKind(); got != k.Kind {
		return fmt.Errorf("types: register %s: New returns a %s", k.Kind, got)
	}
	kc := k
	s.byKind[k.Kind] = &kc
	s.byResource[gr] = &kc
	s.aliases[kc.APIVersion()+"/"+k.Kind] = k.Kind
	return nil
}

// alias lets kind also be written with apiVersion. It is for the built-in
// table, where one Go type serves several versions of a kind.
func (s *Scheme) alias(apiVersion, kind string) {
	s.aliases[apiVersion+"/"+kind] = kind
}

// Lookup returns the description of a kind.
func (s *Scheme) Lookup(kind string) (KindInfo, bool) {
	k, ok := s.byKind[kind]
	if !ok {
		return KindInfo{}, false
	}
	return *k, true
}

// LookupResource returns the kind served at group/resource ("apps",
// "deployments"), also accepting a short name or the singular kind in lower
// case, as kubectl does.
func (s *Scheme) LookupResource(group, resource string) (KindInfo, bool) {
	if k, ok := s.byResource[group+"/"+resource]; ok {
		return *k, true
	}
	for _, k := range s.byKind {
		if k.Group != group {
			continue
		}
		if strings.EqualFold(k.Kind, resource) {
			return *k, true
		}
		for _, sn := range k.ShortNames {
			if sn == resource {
				return *k, true
			}
		}
	}
	return KindInfo{}, false
}

// Accepts reports whether apiVersion is one that kind may be written in.
func (s *Scheme) Accepts(apiVersion, kind string) bool {
	_, ok := s.aliases[apiVersion+"/"+kind]
	return ok
}

// Versions returns the apiVersions kind may be written in, sorted.
func (s *Scheme) Versions(kind string) []string {
	var vs []string
	suffix := "/" + kind
	for av := range s.aliases {
		if strings.HasSuffix(av, suffix) {
			vs = append(vs, strings.TrimSuffix(av, suffix))
		}
	}
	sort.Strings(vs)
	return vs
}

// New returns a new, empty object of kind with its TypeMeta filled in.
func (s *Scheme) New(kind string) (Object, error) {
	k, ok := s.byKind[kind]
	if !ok {
		return nil, fmt.Errorf("types: unknown kind %q", kind)
	}
	obj := k.New()
	if tm, ok := obj.(interface{ typeMeta() *TypeMeta }); ok {
		*tm.typeMeta() = TypeMeta{APIVersion: k.APIVersion(), Kind: k.Kind}
	}
	return obj, nil
}

// Kinds returns every registered kind, sorted by name.
func (s *Scheme) Kinds() []KindInfo {
	out := make([]KindInfo, 0, len(s.byKind))
	for _, k := range s.byKind {
		out = append(out, *k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// typeMeta lets the Scheme set apiVersion and kind on any object that embeds
// TypeMeta.
func (t *TypeMeta) typeMeta() *TypeMeta { return t }

// SetTypeMeta fills in obj's apiVersion and kind from s, when obj embeds
// TypeMeta and its kind is registered. It leaves an apiVersion the kind
// accepts as it is.
func (s *Scheme) SetTypeMeta(obj Object) {
	tm, ok := obj.(interface{ typeMeta() *TypeMeta })
	if !ok {
		return
	}
	k, ok := s.byKind[obj.GetKind()]
	if !ok {
		return
	}
	t := tm.typeMeta()
	t.Kind = k.Kind
	if !s.Accepts(t.APIVersion, k.Kind) {
		t.APIVersion = k.APIVersion()
	}
}
