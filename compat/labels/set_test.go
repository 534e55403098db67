package labels

import k8s "k8s.io/apimachinery/pkg/labels"

func setK(m map[string]string) k8s.Set { return k8s.Set(m) }
