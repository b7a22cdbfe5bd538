package media_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// Bytes that are not an image still get their cryptographic signals.
func ExampleHashReader() {
	h, err := media.HashReader(context.Background(), strings.NewReader("hello, world\n"), nil)
	if err != nil {
		panic(err)
	}
	for _, s := range h.Signals {
		fmt.Println(s)
	}
	fmt.Printf("pdq: %s\n", h.Skipped[signal.PDQ])
	// Output:
	// md5:22c3683b094136c3398391ae71b20f04
	// sha1:cd50d19784897085a8d0e3e413f8612b097c03f1
	// sha256:853ff93762a06ddbf722c4ebe9ddd66d8f63ddaea97f521c3ecc20da7c976020
	// pdq: not an image
}

// An image gets every signal. Here a PNG is made in memory.
func ExampleHashReader_image() {
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.SetGray(x, y, color.Gray{uint8((x*x + 3*y*y) % 256)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}

	h, err := media.HashReader(context.Background(), &buf, &media.Options{
		Algorithms: []signal.Algorithm{signal.PDQ, signal.PHash, signal.DHash, signal.AHash},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %d×%d, PDQ quality %d\n", h.Format, h.Width, h.Height, h.Quality)
	for _, s := range h.Signals {
		fmt.Println(s)
	}
	// Output:
	// png 64×48, PDQ quality 100
	// pdq:780b3ba2f0fff555237ff8150fd0c17fafe48fe42f400f00401b3e00c1ff3f00
	// phash:ff00df00ff0003df
	// dhash:aa5e99d769e85155
	// ahash:44c64ffbb824bcbc
}

// HashTree hashes a directory on every core and reports progress.
func ExampleHashTree() {
	dir, err := os.MkdirTemp("", "hashtree")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	for name, text := range map[string]string{"a.txt": "a", "b.txt": "b", "c.txt": "c"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			panic(err)
		}
	}

	var lines []string
	var last media.Progress
	for f, err := range media.HashTree(context.Background(), dir, nil, func(p media.Progress) { last = p }) {
		if err != nil {
			panic(err)
		}
		md5, _ := f.Signal(signal.MD5)
		lines = append(lines, filepath.Base(f.Path)+" "+md5.String())
	}
	slices.Sort(lines) // files complete in any order
	fmt.Println(strings.Join(lines, "\n"))
	fmt.Printf("%d of %d files, %d bytes\n", last.FilesDone, last.FilesTotal, last.BytesDone)
	// Output:
	// a.txt md5:0cc175b9c0f1b6a831c399e269772661
	// b.txt md5:92eb5ffee6ae2fec3ad71c777531578f
	// c.txt md5:4a8a08f09d37b73795649038408b5f33
	// 3 of 3 files, 3 bytes
}
