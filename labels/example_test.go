package labels_test

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/coxswain/coxswain/labels"
)

func ExampleParse() {
	sel, err := labels.Parse("tier in (frontend, cache), app=web, !canary")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sel) // canonical: sorted by key, values sorted
	fmt.Println(sel.Matches(labels.Set{"app": "web", "tier": "cache"}))
	fmt.Println(sel.Matches(labels.Set{"app": "web", "tier": "cache", "canary": "true"}))
	fmt.Println(sel.Matches(labels.Set{"app": "db", "tier": "cache"}))
	// Output:
	// app=web,!canary,tier in (cache,frontend)
	// true
	// false
	// false
}

func ExampleParse_error() {
	_, err := labels.Parse("app in (web")
	fmt.Println(err)
	_, err = labels.Parse("app=-web")
	fmt.Println(err)
	// Output:
	// labels: syntax error in "app in (web" at offset 11: found "end of string", expected: ',' or ')'
	// labels: invalid value "-web" for key "app": must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character
}

func ExampleLabelSelector_AsSelector() {
	var spec struct {
		Selector *labels.LabelSelector `json:"selector"`
	}
	manifest := `{"selector": {
		"matchLabels": {"app": "web"},
		"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev", "test"]}]
	}}`
	if err := json.Unmarshal([]byte(manifest), &spec); err != nil {
		fmt.Println(err)
		return
	}
	sel, err := spec.Selector.AsSelector()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sel)
	fmt.Println(sel.Matches(labels.Set{"app": "web", "env": "prod"}))

	// nil selects nothing; empty selects everything.
	var none *labels.LabelSelector
	nothing, _ := none.AsSelector()
	everything, _ := (&labels.LabelSelector{}).AsSelector()
	fmt.Println(nothing.Matches(labels.Set{"app": "web"}), everything.Matches(labels.Set{"app": "web"}))
	// Output:
	// app=web,env notin (dev,test)
	// true
	// false true
}

func ExampleSelectorFromSet() {
	sel := labels.SelectorFromSet(labels.Set{"tier": "db", "app": "shop"})
	fmt.Println(sel)
	fmt.Println(sel.Matches(labels.Set{"app": "shop", "tier": "db", "zone": "a"}))
	// Output:
	// app=shop,tier=db
	// true
}

func ExampleIndex() {
	idx := labels.NewIndex[string]()
	idx.Add("web-1", labels.Set{"app": "web", "tier": "frontend"})
	idx.Add("web-2", labels.Set{"app": "web", "tier": "frontend", "canary": "true"})
	idx.Add("db-1", labels.Set{"app": "db", "tier": "backend"})

	ids := idx.Select(labels.MustParse("app=web,!canary"))
	fmt.Println(ids)

	idx.Update("db-1", labels.Set{"app": "db", "tier": "frontend"})
	idx.Delete("web-1")
	ids = idx.Select(labels.MustParse("tier=frontend"))
	slices.Sort(ids) // Select's order is deterministic but unspecified
	fmt.Println(ids)
	// Output:
	// [web-1]
	// [db-1 web-2]
}

func ExampleSelectorIndex() {
	svcs := labels.NewSelectorIndex[string]()
	svcs.Add("web", labels.SelectorFromSet(labels.Set{"app": "web"}))
	svcs.Add("web-canary", labels.MustParse("app=web,track=canary"))
	svcs.Add("db", labels.SelectorFromSet(labels.Set{"app": "db"}))

	// Which Services select this pod?
	ids := svcs.Matching(labels.Set{"app": "web", "track": "canary"})
	slices.Sort(ids) // Matching's order is unspecified
	fmt.Println(ids)

	svcs.Delete("web-canary")
	fmt.Println(svcs.Matching(labels.Set{"app": "web", "track": "canary"}))
	// Output:
	// [web web-canary]
	// [web]
}

func ExampleValidateKey() {
	fmt.Println(labels.ValidateKey("example.com/app"))
	fmt.Println(labels.ValidateKey("Example.com/app"))
	// Output:
	// <nil>
	// labels: invalid key "Example.com/app": prefix part must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character
}
