package main

// The bucket URL schemes publish and follow open: s3://, gs://,
// azblob://, file:// and mem://, each registered by its driver package as
// gocloud.dev intends.
import (
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"
)
