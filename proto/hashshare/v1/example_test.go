package hashsharev1_test

import (
	"encoding/hex"
	"fmt"

	"google.golang.org/protobuf/proto"

	hashsharev1 "github.com/hashshare/hashshare/proto/hashshare/v1"
)

func Example() {
	pdq, _ := hex.DecodeString("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	item := &hashsharev1.Item{
		Source: "example-org",
		Id:     "video-1234",
		Signals: []*hashsharev1.Signal{
			{Algorithm: hashsharev1.Algorithm_ALGORITHM_PDQ, Value: pdq},
		},
		Labels: []string{"behaviour:recruitment", "type:video"},
		Tlp:    hashsharev1.TLP_TLP_AMBER,
	}
	b, err := proto.Marshal(item)
	if err != nil {
		fmt.Println(err)
		return
	}

	var back hashsharev1.Item
	if err := proto.Unmarshal(b, &back); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.GetSource(), back.GetId(), back.GetTlp())
	for _, s := range back.GetSignals() {
		fmt.Printf("%s %x\n", s.GetAlgorithm(), s.GetValue())
	}
	fmt.Println(back.GetLabels())
	fmt.Println("equal:", proto.Equal(item, &back))
	// Output:
	// example-org video-1234 TLP_AMBER
	// ALGORITHM_PDQ f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22
	// [behaviour:recruitment type:video]
	// equal: true
}
