package hashjson_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/internal/hashjson"
)

func ExampleNew() {
	h, err := hashdb.HashReader(context.Background(), strings.NewReader("hello"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(hashjson.New(h))
	fmt.Println(string(b))
	// Output:
	// {"md5":"5d41402abc4b2a76b9719d911017c592","sha1":"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d","sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","size":5}
}
