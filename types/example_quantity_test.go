package types_test

import (
	"encoding/json"
	"fmt"

	"github.com/coxswain/coxswain/types"
)

func ExampleParseQuantity() {
	for _, s := range []string{"250m", "0.5", "1.5Gi", "1000", "10e2", "0.1n"} {
		q, err := types.ParseQuantity(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-6s -> %-6s milli=%d value=%d\n", s, q, q.MilliValue(), q.Value())
	}
	_, err := types.ParseQuantity("1K")
	fmt.Println(err)
	// Output:
	// 250m   -> 250m   milli=250 value=1
	// 0.5    -> 500m   milli=500 value=1
	// 1.5Gi  -> 1536Mi milli=1610612736000 value=1610612736
	// 1000   -> 1k     milli=1000000 value=1000
	// 10e2   -> 1e3    milli=1000000 value=1000
	// 0.1n   -> 1n     milli=1 value=1
	// invalid quantity "1K": unable to parse quantity's suffix
}

func ExampleQuantity_Add() {
	requests := []string{"250m", "1.5", "500m"}
	var total types.Quantity
	for _, r := range requests {
		total = total.Add(types.MustParseQuantity(r))
	}
	limit := types.MustParseQuantity("2")
	fmt.Println(total, total.Cmp(limit) > 0)
	fmt.Println(limit.Sub(total), total.AsApproximateFloat64())
	// Output:
	// 2250m true
	// -250m 2.25
}

func ExampleQuantity_String() {
	for _, s := range []string{"1024Ki", "1.5Ki", "0.5Gi", "1000Mi", "+1Ki", "1000E"} {
		q := types.MustParseQuantity(s)
		fmt.Printf("%-6s -> %s (%s)\n", s, q, q.Format())
	}
	// Output:
	// 1024Ki -> 1Mi (BinarySI)
	// 1.5Ki  -> 1536 (BinarySI)
	// 0.5Gi  -> 512Mi (BinarySI)
	// 1000Mi -> 1000Mi (BinarySI)
	// +1Ki   -> +1Ki (BinarySI)
	// 1000E  -> 1 (DecimalSI)
}

func ExampleQuantity_MarshalJSON() {
	var limits struct {
		CPU    types.Quantity `json:"cpu"`
		Memory types.Quantity `json:"memory"`
	}
	if err := json.Unmarshal([]byte(`{"cpu": 1.5, "memory": "2048Mi"}`), &limits); err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.Marshal(limits)
	fmt.Println(string(out))
	// Output: {"cpu":"1500m","memory":"2Gi"}
}
